namespace HaproxyCluster.Local.Tests;

/// <summary>make fleet-scale's figures: percentiles by nearest rank, and the budget judged only where the fleet paces itself.</summary>
public class FleetScaleTests
{
    [Fact]
    public void Percentiles_are_by_nearest_rank()
    {
        double[] seconds = [4, 1, 3, 2, 5, 6, 7, 8, 9, 10];

        Assert.Equal(5, FleetScale.Percentile(seconds, 50));
        Assert.Equal(10, FleetScale.Percentile(seconds, 95));
        Assert.Equal(1, FleetScale.Percentile([1], 95));
    }

    [Theory]
    [InlineData(3, 5, 0.6, 0.3, false, false)] // at the interval: the budget is not what limits it, so it is not judged
    [InlineData(30, 15, 2, 2.15, true, true)]
    [InlineData(30, 15, 2, 2.3, true, false)]
    [InlineData(100, 50, 2, 1.7, true, false)]
    public void A_paced_fleet_is_judged_within_ten_percent_of_its_budget(int nodes, double pass, double expected, double measured, bool paced, bool within)
    {
        var row = new FleetScale.Row(nodes, pass, expected, measured, [1], [1]);

        Assert.Equal(paced, row.Paced);
        Assert.Equal(within, row.WithinBudget);
        Assert.Contains(within ? "(within 10 %)" : paced ? "(OFF by more than 10 %)" : $"| {measured:0.00} |", row.ToString(), StringComparison.Ordinal);
    }
}
