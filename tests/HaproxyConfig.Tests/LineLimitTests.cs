using HaproxyCluster.Config.Tests.Support;

namespace HaproxyCluster.Config.Tests;

/// <summary>
/// The validator counts the words of the lines the emitter really writes, so its limit is HAProxy's
/// own: a rule whose line has exactly 64 words renders and both versions accept it; one word more
/// is refused by validation, with the count, before HAProxy could refuse it.
/// </summary>
public class LineLimitTests
{
    // "http-request deny deny_status 403 if { src" + CIDRs + "}": 8 words besides the CIDRs.
    private static HaproxySpec DenyList(int cidrs) => new()
    {
        Pools = [new Pool { Name = "web", Servers = [new Server("10.0.1.10", 8080)] }],
        DefaultPool = "web",
        RequestRules = [Rule.DenySources([.. Enumerable.Range(0, cidrs).Select(i => $"10.{i}.0.0/16")])],
    };

    [Fact]
    public void A_line_of_64_words_renders_and_both_versions_accept_it()
    {
        var folder = Directory.CreateTempSubdirectory("haproxy-64-words-").FullName;
        try
        {
            var bundle = ConfigRenderer.Render(DenyList(56), folder);
            bundle.WriteTo(folder);

            var line = bundle.Config.Split('\n').Single(l => l.Contains("deny_status 403", StringComparison.Ordinal));
            Assert.Equal(SpecValidator.MaxWordsPerLine, Cfg.Words(line).Count);
            Assert.Empty(HaproxyCheck.Failures([Path.Combine(folder, ConfigBundle.ConfigFileName)]));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_line_of_65_words_is_refused_by_validation_with_its_count()
    {
        var error = Assert.Throws<ConfigValidationException>(DenyList(57).Validate);

        var found = Assert.Single(error.Errors);
        Assert.Equal("RequestRules[0] (DenySourcesRule)", found.Property);
        Assert.Contains("makes a line of 65 words, more than the 64 HAProxy reads", found.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HAProxy_itself_refuses_the_65_word_line_the_validator_refuses()
    {
        var folder = Directory.CreateTempSubdirectory("haproxy-65-words-").FullName;
        try
        {
            var config = ConfigRenderer.Render(DenyList(56), folder).Config
                .Replace("10.0.0.0/16 ", "10.0.0.0/16 10.250.0.0/16 ", StringComparison.Ordinal);
            File.WriteAllText(Path.Combine(folder, ConfigBundle.ConfigFileName), config);

            Assert.Equal(2, HaproxyCheck.Failures([Path.Combine(folder, ConfigBundle.ConfigFileName)]).Count);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
