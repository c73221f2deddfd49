using Amazon.CDK;
using HaproxyCluster.Infra;

// One stack per environment. `-c env=<name>` picks one; without it every environment is synthesized.
var app = new App();
var selected = app.Node.TryGetContext("env") as string;

foreach (var environment in Environments.Select(selected))
{
    ClusterStack.Create(app, environment);
}

app.Synth();
