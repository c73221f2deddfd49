using Amazon.CDK;
using HaproxyCluster.Config;

namespace HaproxyCluster.Infra;

/// <summary>
/// The CDK app's work: one stack per environment, <c>-c env=NAME</c> picking one. A mistake in an
/// environment is the user's, not the program's, so it ends synthesis the way a compiler reports
/// one: every problem of every environment, each under its environment's name, then exit code 1,
/// with no stack trace and before anything is written to the cloud assembly.
/// </summary>
public static class ClusterApp
{
    /// <summary>Synthesizes <paramref name="app"/> with the stacks of the environments its context selects.</summary>
    /// <param name="app">The app; its <c>env</c> context names the environment, or is absent for all.</param>
    /// <param name="environments">The environments to choose from.</param>
    /// <param name="errors">Where problems are written.</param>
    /// <returns>0 when synthesized; 1 when a problem was written instead.</returns>
    public static int Synthesize(App app, IReadOnlyList<ClusterEnvironment> environments, TextWriter errors)
    {
        IReadOnlyList<ClusterEnvironment> selected;
        try
        {
            selected = Environments.Select(app.Node.TryGetContext("env") as string, environments);
        }
        catch (ArgumentException e)
        {
            errors.WriteLine($"synth: {e.Message}");
            return 1;
        }

        var failed = false;
        foreach (var environment in selected)
        {
            try
            {
                ClusterStack.Create(app, environment);
            }
            catch (ConfigValidationException e)
            {
                errors.WriteLine($"synth: {environment.Name}: {e.Message}");
                failed = true;
            }
        }

        if (failed)
        {
            return 1;
        }

        app.Synth();
        return 0;
    }
}
