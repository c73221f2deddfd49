using System.Text;

namespace HaproxyCluster.Agent;

/// <summary>
/// The lines a growing file gains, as <c>tail -F</c> would give them: whole lines only (a line still
/// being written waits for the next read), from where the previous read stopped, and from the
/// start again when the file was truncated or replaced by a shorter one. A file that does not exist
/// or cannot be read gives nothing this time, never an exception.
/// </summary>
internal sealed class LogFollower(string path)
{
    private long _offset;

    /// <summary>Starts after what the file holds now: only lines written later are read.</summary>
    public void SkipToEnd() => _offset = File.Exists(path) ? new FileInfo(path).Length : 0;

    /// <summary>The whole lines written since the previous read.</summary>
    public IReadOnlyList<string> ReadNew()
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (stream.Length < _offset)
            {
                _offset = 0;
            }

            stream.Seek(_offset, SeekOrigin.Begin);
            var bytes = new byte[stream.Length - _offset];
            stream.ReadExactly(bytes);
            var end = Array.LastIndexOf(bytes, (byte)'\n');
            if (end < 0)
            {
                return [];
            }

            _offset += end + 1;
            return Encoding.UTF8.GetString(bytes, 0, end).Split('\n');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
