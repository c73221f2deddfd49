namespace HaproxyCluster.Config;

/// <summary>One problem in a spec.</summary>
/// <param name="Property">Where it is, as a path into the spec: <c>Pools[1].Servers[0].Port</c>.</param>
/// <param name="Message">What is wrong, with the bad value, and what is allowed.</param>
public sealed record ValidationError(string Property, string Message)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Property}: {Message}";
}

/// <summary>Thrown by <see cref="HaproxySpec.Validate"/> with every problem found, not just the first.</summary>
public sealed class ConfigValidationException : Exception
{
    /// <summary>Creates the exception for <paramref name="errors"/>.</summary>
    public ConfigValidationException(IReadOnlyList<ValidationError> errors)
        : base(Describe(errors)) => Errors = errors;

    /// <summary>Creates an exception with a message only.</summary>
    public ConfigValidationException() : this([]) { }

    /// <summary>Creates an exception with a message only.</summary>
    public ConfigValidationException(string message) : base(message) => Errors = [];

    /// <summary>Creates an exception with a message and a cause.</summary>
    public ConfigValidationException(string message, Exception innerException) : base(message, innerException) => Errors = [];

    /// <summary>Every problem found.</summary>
    public IReadOnlyList<ValidationError> Errors { get; }

    private static string Describe(IReadOnlyList<ValidationError> errors) =>
        $"The HAProxy spec has {errors.Count} problem{(errors.Count == 1 ? "" : "s")}:\n"
        + string.Join("\n", errors.Select(e => $"  - {e}"));
}
