namespace HaproxyCluster.Config;

/// <summary>
/// One rule line of the HTTP frontend with every value decided: lowering turns rules and routes
/// into these, and the emitter only formats them (<see cref="ConfigEmitter.Line"/>).
/// </summary>
internal abstract record Directive(Condition When);

/// <summary><c>http-request deny deny_status STATUS</c>.</summary>
internal sealed record DenyDirective(int Status, Condition When) : Directive(When);

/// <summary><c>http-request track-scN src table TABLE</c>: counter N counts this request in TABLE.</summary>
internal sealed record TrackDirective(int Counter, string Table, Condition When) : Directive(When);

/// <summary><c>http-request return</c> with a body read from <paramref name="File"/>.</summary>
internal sealed record ReturnDirective(int Status, string ContentType, string File, Condition When) : Directive(When);

/// <summary><c>http-request redirect KIND VALUE code STATUS</c>, KIND being scheme, prefix or location.</summary>
internal sealed record RedirectDirective(string Kind, string Value, int Status, Condition When) : Directive(When);

/// <summary>A header edit on requests, or on every response (HAProxy's own answers too).</summary>
internal sealed record HeaderDirective(HeaderPhase Phase, HeaderEdit Edit, Condition When) : Directive(When);

/// <summary>When a header edit applies.</summary>
internal enum HeaderPhase
{
    /// <summary><c>http-request</c>: before the request is routed.</summary>
    Request,

    /// <summary><c>http-after-response</c>: on every response, including deny, redirect, return and error pages.</summary>
    AfterResponse,
}

/// <summary><c>http-request set-var(txn.NAME) EXPRESSION</c>.</summary>
internal sealed record SetVarDirective(string Name, string Expression, Condition When) : Directive(When);

/// <summary>
/// <c>http-request deny</c> with 401 and <c>WWW-Authenticate: CHALLENGE</c> (RFC 6750): the answer
/// to a request without a valid bearer token.
/// </summary>
internal sealed record ChallengeDirective(string Challenge, Condition When) : Directive(When);

/// <summary><c>http-request set-header NAME %[EXPRESSION]</c>: a header set from a sample, not a literal.</summary>
internal sealed record SetHeaderFromDirective(string Name, string Expression, Condition When) : Directive(When);

/// <summary><c>http-request disable-l7-retry</c>.</summary>
internal sealed record DisableL7RetryDirective(Condition When) : Directive(When);

/// <summary><c>use_backend POOL</c>.</summary>
internal sealed record UseBackendDirective(string Pool, Condition When) : Directive(When);

/// <summary>
/// <c>use_backend</c> to the pool a map file gives for the request: FETCH piped through
/// CONVERTER(MAP), taken only when the map has the key.
/// </summary>
internal sealed record MapLookupDirective(string Fetch, string Converter, string MapFile) : Directive(Condition.Always);
