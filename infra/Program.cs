using Amazon.CDK;
using HaproxyCluster.Infra;

return ClusterApp.Synthesize(new App(), Environments.All, Console.Error);
