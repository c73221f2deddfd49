namespace HaproxyCluster.Config;

/// <summary>
/// Where a rule was written, as the factory call the user typed and its file and line, so a problem
/// names the rule as written: a rule spread in from a shared list is at a different index in the
/// spec than in the list its author wrote. It never reaches a config.
/// </summary>
/// <param name="Call">The call with its first argument as written: <c>Rule.RateLimit("login", …)</c>.</param>
/// <param name="File">The source file, as the compiler knew it.</param>
/// <param name="Line">The line the call starts on.</param>
public sealed record WrittenAt(string Call, string File, int Line)
{
    /// <summary>The call and its file name and line: <c>Rule.RateLimit("login", …) at Environments.cs:124</c>.</summary>
    public override string ToString() => $"{Call} at {Path.GetFileName(File)}:{Line}";

    /// <summary>The call <c>Rule.<paramref name="factory"/>(<paramref name="firstArgument"/>, …)</c> written in <paramref name="file"/> at <paramref name="line"/>.</summary>
    internal static WrittenAt Of(string factory, string firstArgument, string file, int line) =>
        new($"Rule.{factory}({(firstArgument.Length == 0 ? "" : firstArgument + ", ")}…)", file, line);
}
