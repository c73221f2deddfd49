namespace HaproxyCluster.Config;

/// <summary>One problem in a spec.</summary>
/// <param name="Property">Where it is, as a path into the spec: <c>Pools[1].Servers[0].Port</c>.</param>
/// <param name="Message">What is wrong, with the bad value, and what is allowed.</param>
public sealed record ValidationError(string Property, string Message)
{
    /// <summary>Where the rule the problem is in was written, when a factory recorded it.</summary>
    public WrittenAt? WrittenAt { get; init; }

    /// <summary>The property and the message, then where the rule was written on a line of its own.</summary>
    public override string ToString() =>
        WrittenAt is null ? $"{Property}: {Message}" : $"{Property}: {Message}\n    written as {WrittenAt}";
}

/// <summary>
/// Thrown with every problem found in one object (a spec, cluster props, bootstrap settings), not
/// just the first. The message names the object: <c>HaproxySpec has 2 problems: …</c>.
/// </summary>
public sealed class ConfigValidationException : Exception
{
    /// <summary>Creates the exception for <paramref name="errors"/> found in <paramref name="subject"/>.</summary>
    /// <param name="subject">What was checked, as the user knows it: <c>HaproxySpec</c>, <c>HaproxyClusterProps</c>.</param>
    /// <param name="errors">Every problem found.</param>
    public ConfigValidationException(string subject, IReadOnlyList<ValidationError> errors)
        : base(Describe(subject, errors))
    {
        Subject = subject;
        Errors = errors;
    }

    /// <summary>Creates an exception with a message only.</summary>
    public ConfigValidationException() : this("The configuration", []) { }

    /// <summary>Creates an exception with a message only.</summary>
    public ConfigValidationException(string message) : base(message) => Errors = [];

    /// <summary>Creates an exception with a message and a cause.</summary>
    public ConfigValidationException(string message, Exception innerException) : base(message, innerException) => Errors = [];

    /// <summary>What was checked: <c>HaproxySpec</c>, <c>HaproxyClusterProps</c>, <c>BootstrapSettings</c>.</summary>
    public string Subject { get; } = "The configuration";

    /// <summary>Every problem found.</summary>
    public IReadOnlyList<ValidationError> Errors { get; }

    private static string Describe(string subject, IReadOnlyList<ValidationError> errors) =>
        $"{subject} has {errors.Count} problem{(errors.Count == 1 ? "" : "s")}:\n"
        + string.Join("\n", errors.Select(e => $"  - {e}"));
}
