namespace HaproxyCluster.Agent;

/// <summary>The instance metadata service, IMDSv2 only (the launch template requires tokens).</summary>
internal static class InstanceMetadata
{
    private static readonly Uri Root = new("http://169.254.169.254/latest/");

    /// <summary>This instance's id.</summary>
    public static async Task<string> InstanceIdAsync(CancellationToken cancellation)
    {
        using var http = new HttpClient { BaseAddress = Root, Timeout = TimeSpan.FromSeconds(5) };
        using var tokenRequest = new HttpRequestMessage(HttpMethod.Put, "api/token");
        tokenRequest.Headers.Add("X-aws-ec2-metadata-token-ttl-seconds", "60");
        using var tokenResponse = (await http.SendAsync(tokenRequest, cancellation)).EnsureSuccessStatusCode();
        using var idRequest = new HttpRequestMessage(HttpMethod.Get, "meta-data/instance-id");
        idRequest.Headers.Add("X-aws-ec2-metadata-token", await tokenResponse.Content.ReadAsStringAsync(cancellation));
        using var idResponse = (await http.SendAsync(idRequest, cancellation)).EnsureSuccessStatusCode();
        return await idResponse.Content.ReadAsStringAsync(cancellation);
    }
}
