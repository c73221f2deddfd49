using System.Globalization;
using System.Text.RegularExpressions;

namespace HaproxyCluster.Infra;

/// <summary>
/// The busiest traffic an environment must carry, and what a vCPU carries of its rules. With both,
/// synthesis checks static stability: the nodes left when the zone holding the most of
/// <see cref="HaproxyClusterProps.MinCapacity"/> is lost carry the peak at
/// <see cref="HaproxyClusterProps.TargetCpuPercent"/>, with no scaling (which would need the lost
/// zone's capacity to come back somewhere, just when the region is short of it).
/// </summary>
/// <param name="RequestsPerSecond">The peak, in requests a second, over the whole cluster.</param>
/// <param name="RequestsPerVcpu">
/// What one vCPU carries of this environment's rules at full CPU: the capacity line of
/// <c>ENV=&lt;env&gt; make bench</c> (a vCPU's second over the generated config's CPU per request),
/// measured on the instance family the nodes run.
/// </param>
public sealed record PeakLoad(int RequestsPerSecond, int RequestsPerVcpu);

/// <summary>
/// What <see cref="HaproxyClusterProps.MinCapacity"/> nodes carry, spread over the zones as EC2 Auto
/// Scaling spreads them (the zones differ by one node at most), with every zone and with the zone
/// holding the most lost.
/// </summary>
/// <param name="Zones">Zones the nodes spread over.</param>
/// <param name="Nodes">The group's minimum.</param>
/// <param name="Vcpus">vCPUs of one node.</param>
/// <param name="PerNode">Requests a second one node carries at the target CPU.</param>
public sealed partial record ZoneLossCapacity(int Zones, int Nodes, int Vcpus, int PerNode)
{
    /// <summary>Nodes in the zone holding the most.</summary>
    public int LargestZone => (Nodes + Zones - 1) / Zones;

    /// <summary>Nodes left with the largest zone lost.</summary>
    public int NodesLeft => Nodes - LargestZone;

    /// <summary>Requests a second every node carries at the target CPU.</summary>
    public long AllZones => (long)Nodes * PerNode;

    /// <summary>Requests a second the nodes left carry at the target CPU with the largest zone lost.</summary>
    public long ZoneLost => (long)NodesLeft * PerNode;

    /// <summary>Nodes a zone holds, largest first: <c>2 + 1 + 1</c>.</summary>
    public string Spread => string.Join(" + ", Enumerable.Range(0, Zones).Select(zone => (Nodes / Zones) + (zone < Nodes % Zones ? 1 : 0)));

    /// <summary>The capacity of <paramref name="props"/>' minimum, or null when its instance type's vCPUs are not known.</summary>
    public static ZoneLossCapacity? Of(HaproxyClusterProps props, int nodes) =>
        VcpusOf(props.InstanceType) is { } vcpus && props.Peak is { } peak
            ? new ZoneLossCapacity(ZoneCount(props), nodes, vcpus, (int)((long)vcpus * peak.RequestsPerVcpu * props.TargetCpuPercent / 100))
            : null;

    /// <summary>The zones <paramref name="props"/> spreads over: its own, or the VPC's, or the three a new VPC takes.</summary>
    public static int ZoneCount(HaproxyClusterProps props) => props.AvailabilityZones?.Count ?? props.Vpc?.AvailabilityZones.Length ?? 3;

    /// <summary>
    /// vCPUs of an EC2 instance type, from its size: <c>medium</c> 1 (2 for the burstable <c>t</c>
    /// families, whose sizes up to <c>large</c> all have 2), <c>large</c> 2, <c>xlarge</c> 4,
    /// <c>Nxlarge</c> 4 × N; null for anything else (<c>metal</c>, a misspelt type).
    /// </summary>
    public static int? VcpusOf(string? instanceType)
    {
        if (instanceType is null || InstanceTypeName().Match(instanceType) is not { Success: true } m)
        {
            return null;
        }

        var burstable = m.Groups["family"].Value.StartsWith('t');
        return m.Groups["size"].Value switch
        {
            "nano" or "micro" or "small" when burstable => 2,
            "medium" => burstable ? 2 : 1,
            "large" => 2,
            "xlarge" => 4,
            var size when size.EndsWith("xlarge", StringComparison.Ordinal) => 4 * int.Parse(size[..^6], CultureInfo.InvariantCulture),
            _ => null,
        };
    }

    /// <summary>
    /// The problem with <paramref name="props"/>' <see cref="HaproxyClusterProps.Peak"/>, or null when
    /// the nodes left with a zone lost carry it (or no peak is set).
    /// </summary>
    public static string? Problem(HaproxyClusterProps props)
    {
        if (props.Peak is not { } peak)
        {
            return null;
        }

        if (peak.RequestsPerSecond < 1 || peak.RequestsPerVcpu < 1)
        {
            return Invariant($"{peak} should have a peak and a per-vCPU capacity of at least 1 request a second; take RequestsPerVcpu from the capacity line of 'ENV={props.EnvironmentName} make bench'");
        }

        if (Of(props, props.MinCapacity) is not { } capacity)
        {
            return $"the vCPUs of InstanceType '{props.InstanceType}' are not known, so the peak cannot be checked; use a size such as large or 4xlarge, or leave Peak unset";
        }

        if (capacity.ZoneLost >= peak.RequestsPerSecond)
        {
            return null;
        }

        var needed = Enumerable.Range(capacity.Nodes + 1, 1_000).FirstOrDefault(n => (capacity with { Nodes = n }).ZoneLost >= peak.RequestsPerSecond);
        var fix = needed == 0 ? "use a larger InstanceType" : Invariant($"set MinCapacity to at least {needed}{(needed >= props.MaxCapacity ? " (and MaxCapacity above it)" : "")}, or a larger InstanceType");
        return Invariant($"{peak.RequestsPerSecond:N0} requests/s at peak, but MinCapacity {capacity.Nodes} over {capacity.Zones} zones ({capacity.Spread}) leaves {capacity.NodesLeft} node(s) when a zone of {capacity.LargestZone} is lost, ")
            + Invariant($"carrying {capacity.ZoneLost:N0} at TargetCpuPercent {props.TargetCpuPercent} ({capacity.NodesLeft} × {capacity.Vcpus} vCPU of {props.InstanceType} × {peak.RequestsPerVcpu:N0} requests/s per vCPU × {props.TargetCpuPercent} %); ")
            + fix;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^(?<family>[a-z][a-z0-9-]*)\.(?<size>[a-z0-9]+)\z")]
    private static partial Regex InstanceTypeName();
}
