using System.Text;

namespace HaproxyCluster.Config;

/// <summary>A tiny writer for haproxy.cfg: unindented section headers, indented keywords, '\n' endings.</summary>
internal sealed class ConfigWriter
{
    private readonly StringBuilder _text = new();

    public ConfigWriter Comment(string text)
    {
        _text.Append("# ").Append(text).Append('\n');
        return this;
    }

    /// <summary>Starts a section, after a blank line unless it is the first.</summary>
    public ConfigWriter Section(string header)
    {
        if (_text.Length > 0)
        {
            _text.Append('\n');
        }

        _text.Append(header).Append('\n');
        return this;
    }

    public ConfigWriter Line(string line)
    {
        _text.Append("    ").Append(line).Append('\n');
        return this;
    }

    public override string ToString() => _text.ToString();
}
