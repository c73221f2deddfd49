namespace HaproxyCluster.Config.Tests;

/// <summary>
/// The rendered bundle of a few representative specs, byte for byte. A change to the renderer
/// shows up here as a reviewable diff. To accept one on purpose:
/// <c>UPDATE_GOLDEN=1 dotnet test tests/HaproxyConfig.Tests --filter GoldenFileTests</c>
/// </summary>
public class GoldenFileTests
{
    private static readonly string GoldenRoot = Path.Combine(RepositoryRoot.Path, "tests", "HaproxyConfig.Tests", "Golden");

    public static TheoryData<string> Names => new(GoldenSpecs.All.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public void Rendered_bundle_matches_its_golden_files(string name)
    {
        var bundle = ConfigRenderer.Render(GoldenSpecs.All[name]);
        var folder = Path.Combine(GoldenRoot, name);
        if (GoldenFile.Updating && Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }

        foreach (var file in bundle.Files)
        {
            GoldenFile.AssertMatches(Path.Combine(folder, file.Path), file.Content);
        }

        // No golden file is left over from a file the renderer no longer writes.
        var golden = Directory.GetFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal);
        Assert.Equal(golden, bundle.Files.Select(f => f.Path));
    }

    [Fact]
    public void Every_golden_spec_passes_haproxy_check_on_both_versions()
    {
        var configs = new List<string>();
        var scratch = Directory.CreateTempSubdirectory("haproxy-golden-").FullName;
        try
        {
            foreach (var (name, spec) in GoldenSpecs.All)
            {
                var folder = Path.Combine(scratch, name);
                ConfigRenderer.Render(spec, folder).WriteTo(folder);
                configs.Add(Path.Combine(folder, ConfigBundle.ConfigFileName));
            }

            var failures = HaproxyCheck.Failures(configs);
            Assert.True(failures.Count == 0, string.Join('\n', failures));
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    [Fact]
    public void Rendering_twice_gives_the_same_bytes()
    {
        foreach (var spec in GoldenSpecs.All.Values)
        {
            Assert.Equal(ConfigRenderer.Render(spec), ConfigRenderer.Render(spec with { }));
            Assert.Equal(ConfigRenderer.Render(spec).Sha256(), ConfigRenderer.Render(spec).Sha256());
        }
    }
}

public class HaproxyCheckTests
{
    [Fact]
    public void The_check_itself_reports_a_config_either_version_refuses()
    {
        var folder = Directory.CreateTempSubdirectory("haproxy-broken-").FullName;
        try
        {
            var config = Path.Combine(folder, "haproxy.cfg");
            File.WriteAllText(config, "global\n    not-a-keyword\n");

            var failures = HaproxyCheck.Failures([config]);

            Assert.Equal(2, failures.Count);
            Assert.StartsWith("2.6 FAIL", failures[0], StringComparison.Ordinal);
            Assert.StartsWith("3.0 FAIL", failures[1], StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
