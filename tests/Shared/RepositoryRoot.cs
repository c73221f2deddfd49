namespace HaproxyCluster.Tests.Shared;

/// <summary>The checkout's top folder, found from the test binary's location.</summary>
internal static class RepositoryRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "HaproxyCluster.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No HaproxyCluster.sln above {AppContext.BaseDirectory}");
    }
}
