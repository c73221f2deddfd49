namespace HaproxyCluster.Tests.Shared;

/// <summary>
/// Compares text with a committed file. To accept a change on purpose, run the tests with
/// <c>UPDATE_GOLDEN=1</c>, which rewrites the files, then review the diff in git.
/// </summary>
internal static class GoldenFile
{
    public static bool Updating => Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1";

    public static void AssertMatches(string path, string actual)
    {
        if (Updating)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, actual);
            return;
        }

        if (!File.Exists(path))
        {
            throw new Xunit.Sdk.XunitException($"No golden file {path}; create it with UPDATE_GOLDEN=1 and commit it.");
        }

        var expected = File.ReadAllText(path);
        if (expected != actual)
        {
            var line = expected.Split('\n').Zip(actual.Split('\n')).TakeWhile(p => p.First == p.Second).Count() + 1;
            throw new Xunit.Sdk.XunitException(
                $"{path} differs from line {line}. If the change is intended, run with UPDATE_GOLDEN=1 and review the diff.\n"
                + $"expected: {expected.Split('\n').ElementAtOrDefault(line - 1)}\nactual:   {actual.Split('\n').ElementAtOrDefault(line - 1)}");
        }
    }
}
