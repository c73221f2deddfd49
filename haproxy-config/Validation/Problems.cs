using System.Globalization;

namespace HaproxyCluster.Config;

/// <summary>
/// Where a check is looking (a property path such as <c>Pools[1].Servers[0].Port</c>) and the list
/// every problem goes to, so each check names its property without building strings by hand.
/// </summary>
internal sealed class Problems
{
    private readonly List<ValidationError> _errors;
    private readonly WrittenAt? _writtenAt;

    private Problems(List<ValidationError> errors, string path, WrittenAt? writtenAt)
    {
        _errors = errors;
        Path = path;
        _writtenAt = writtenAt;
    }

    /// <summary>A collector for a new list, at the root of the checked object.</summary>
    public Problems()
        : this([], "", null)
    {
    }

    /// <summary>The property this collector reports on.</summary>
    public string Path { get; }

    /// <summary>Every problem found so far, by every collector that shares this list.</summary>
    public IReadOnlyList<ValidationError> All => _errors;

    /// <summary>How many problems have been found so far; compare before and after a check.</summary>
    public int Count => _errors.Count;

    /// <summary>The collector for property <paramref name="name"/> of this one.</summary>
    public Problems this[string name] => new(_errors, Path.Length == 0 ? name : $"{Path}.{name}", _writtenAt);

    /// <summary>The collector for item <paramref name="index"/> of this list.</summary>
    public Problems this[int index] => new(_errors, string.Create(CultureInfo.InvariantCulture, $"{Path}[{index}]"), _writtenAt);

    /// <summary>This collector, with the item's kind in its path: <c>RequestRules[2] (DenyRule)</c>.</summary>
    public Problems Kind(object? item) => item is null ? this : new(_errors, $"{Path} ({item.GetType().Name})", _writtenAt);

    /// <summary>This collector, for a rule written at <paramref name="writtenAt"/>: every problem below it says so.</summary>
    public Problems Written(WrittenAt? writtenAt) => new(_errors, Path, writtenAt);

    /// <summary>Records <paramref name="errors"/>, found in a part checked on its own, under this path.</summary>
    public void Include(IEnumerable<ValidationError> errors)
    {
        foreach (var error in errors)
        {
            _errors.Add(error with { Property = $"{Path}.{error.Property}" });
        }
    }

    /// <summary>Records <paramref name="problem"/> at this path, unless it is null (no problem).</summary>
    public void Add(string? problem)
    {
        if (problem is not null)
        {
            _errors.Add(new ValidationError(Path, problem) { WrittenAt = _writtenAt });
        }
    }

    /// <summary>Records <paramref name="message"/> at this path unless <paramref name="ok"/>.</summary>
    public void Require(bool ok, string message)
    {
        if (!ok)
        {
            Add(message);
        }
    }

    /// <summary>Throws one exception naming <paramref name="subject"/> and listing every problem, if there is any.</summary>
    /// <exception cref="ConfigValidationException">At least one problem was found.</exception>
    public void ThrowIfAny(string subject)
    {
        if (_errors.Count > 0)
        {
            throw new ConfigValidationException(subject, _errors);
        }
    }
}
