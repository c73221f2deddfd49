using HaproxyCluster.Config;

namespace HaproxyCluster.Local.Tests;

/// <summary>What chaos expects of an image rollout: every node on the image with its sysctls, or the first node back and the others untouched.</summary>
public sealed class ImageRolloutTests : IDisposable
{
    private readonly string _image = Path.Combine(Directory.CreateTempSubdirectory("image-rollout-").FullName, "image-good");

    public ImageRolloutTests() => NodeImage.Write(_image, new TcpKeepAlive(TimeSpan.FromSeconds(75), TimeSpan.FromSeconds(75), 3));

    private static ImageRollout.Summary Summary(string[] verdicts, int? back, string[] images, string[] keepAlive) => new(verdicts, back, 0, images, keepAlive);

    [Fact]
    public void Every_node_on_the_image_with_its_keepalive_is_a_full_rollout()
    {
        var done = Summary(["node1:passed", "node2:passed", "node3:passed"], null, ["image-good", "image-good", "image-good"], ["75", "75", "75"]);

        Assert.Null(ImageRollout.Differs(done, ImageRollout.Outcome.EveryNode, _image, 3, ["-", "-", "-"]));
        Assert.NotNull(ImageRollout.Differs(done with { KeepAlive = ["75", "7200", "75"] }, ImageRollout.Outcome.EveryNode, _image, 3, ["-", "-", "-"]));
        Assert.NotNull(ImageRollout.Differs(done with { Images = ["image-good", "-", "image-good"] }, ImageRollout.Outcome.EveryNode, _image, 3, ["-", "-", "-"]));
        Assert.NotNull(ImageRollout.Differs(done, ImageRollout.Outcome.RolledBack, _image, 3, ["-", "-", "-"]));
    }

    [Fact]
    public void A_rollback_is_the_first_node_failed_and_back_with_the_others_untouched()
    {
        var before = new[] { "image-good", "image-good", "image-good" };
        var stopped = Summary(["node1:failed"], 1, before, ["75", "75", "75"]);

        Assert.Null(ImageRollout.Differs(stopped, ImageRollout.Outcome.RolledBack, _image, 3, before));
        Assert.Equal(
            "expected RolledBack, but bakes node1:passed node2:failed, images image-bad image-good image-good (before: image-good image-good image-good), keepalive 75 75 75 s",
            ImageRollout.Differs(stopped with { Verdicts = ["node1:passed", "node2:failed"], RolledBack = 2, Images = ["image-bad", "image-good", "image-good"] }, ImageRollout.Outcome.RolledBack, _image, 3, before));
        Assert.NotNull(ImageRollout.Differs(stopped with { Images = ["image-bad", "image-good", "image-good"] }, ImageRollout.Outcome.RolledBack, _image, 3, before));
    }

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_image)!, recursive: true);
}
