using System.Diagnostics.CodeAnalysis;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace HaproxyCluster.Agent;

/// <summary>
/// How the agent tries again what a reply can fail, as Polly pipelines. A try reports failure by
/// returning <c>default</c> (false, or null) after it logged why; an exception is not retried
/// here: the tries catch what a reply can throw, so one that escapes is a defect to see.
/// </summary>
internal static class Retry
{
    // What Polly's AddRetry asks of a result type, for its options' validation in a trimmed agent.
    private const DynamicallyAccessedMemberTypes ValidatedByPolly = DynamicallyAccessedMemberTypes.All;

    /// <summary>
    /// Until a try succeeds: the first retry after <paramref name="interval"/>, each next one twice
    /// as late up to a minute, jittered so that a fleet's nodes do not call EC2 in step.
    /// </summary>
    public static ResiliencePipeline<T> BackingOff<[DynamicallyAccessedMembers(ValidatedByPolly)] T>(TimeSpan interval, TimeProvider clock) =>
        new ResiliencePipelineBuilder<T> { TimeProvider = clock }
            .AddRetry(Tries<T>(interval, DelayBackoffType.Exponential, useJitter: true))
            .Build();

    /// <summary>
    /// Every second until a try succeeds, for at most <paramref name="wait"/>: after that the
    /// pipeline's <see cref="ExecuteWithinAsync"/> returns <c>default</c>.
    /// </summary>
    public static ResiliencePipeline<T> EverySecondWithin<[DynamicallyAccessedMembers(ValidatedByPolly)] T>(TimeSpan wait) =>
        new ResiliencePipelineBuilder<T>()
            .AddTimeout(wait)
            .AddRetry(Tries<T>(TimeSpan.FromSeconds(1), DelayBackoffType.Constant, useJitter: false))
            .Build();

    /// <summary>What <paramref name="pipeline"/> got from <paramref name="attempt"/>, or <c>default</c> when its time ran out.</summary>
    public static async Task<T?> ExecuteWithinAsync<T>(this ResiliencePipeline<T> pipeline, Func<CancellationToken, Task<T>> attempt, CancellationToken cancellation)
    {
        try
        {
            return await pipeline.ExecuteAsync(async token => await attempt(token), cancellation);
        }
        catch (TimeoutRejectedException)
        {
            return default;
        }
    }

    private static RetryStrategyOptions<T> Tries<T>(TimeSpan delay, DelayBackoffType backoff, bool useJitter) => new()
    {
        ShouldHandle = failed => ValueTask.FromResult(failed.Outcome.Exception is null && EqualityComparer<T>.Default.Equals(failed.Outcome.Result, default)),
        Delay = delay,
        BackoffType = backoff,
        UseJitter = useJitter,
        MaxDelay = TimeSpan.FromMinutes(1),
        MaxRetryAttempts = int.MaxValue,
    };
}
