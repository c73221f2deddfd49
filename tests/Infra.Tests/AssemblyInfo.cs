// Every test class here talks to the one jsii runtime (the CDK's Node process) of the test host,
// which is not safe to drive from several threads: run the classes one after another.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
