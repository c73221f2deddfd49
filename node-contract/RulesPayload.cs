using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;

namespace HaproxyCluster.Node;

/// <summary>
/// A bundle as one AppConfig configuration version: a small JSON object holding the archive's
/// SHA-256 and the archive itself, gzip-compressed and base64-encoded. JSON, so AppConfig checks
/// its shape (<see cref="JsonSchema"/>) before it deploys a version; compressed, so a 10,000-host
/// table stays far below AppConfig's limit on a hosted configuration; hashed, so a node refuses
/// anything that does not decode to exactly the archive that was rendered.
/// </summary>
public static class RulesPayload
{
    /// <summary>The content type AppConfig stores the version with.</summary>
    public const string ContentType = "application/json";

    /// <summary>AppConfig's size limit on a hosted configuration version (2 MB).</summary>
    public const int MaxBytes = 2 * 1024 * 1024;

    /// <summary>The validator AppConfig runs on every version before deploying it.</summary>
    public const string JsonSchema = """
        {
          "$schema": "http://json-schema.org/draft-04/schema#",
          "type": "object",
          "properties": {
            "sha256": { "type": "string", "pattern": "^[0-9a-f]{64}$" },
            "bundle": { "type": "string", "minLength": 1 }
          },
          "required": ["sha256", "bundle"],
          "additionalProperties": false
        }
        """;

    /// <summary>The payload of <paramref name="archive"/>: the same bytes for the same archive.</summary>
    public static string Encode(BundleArchive archive)
    {
        ArgumentNullException.ThrowIfNull(archive);
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write(archive.Bytes);
        }

        return JsonSerializer.Serialize(new Payload(archive.Sha256, Convert.ToBase64String(compressed.ToArray())), PayloadJson.Default.Payload);
    }

    /// <summary>The archive in <paramref name="payload"/>, with its SHA-256.</summary>
    /// <exception cref="InvalidDataException">The payload is not one, or its archive does not hash to the SHA-256 it names.</exception>
    public static (byte[] Archive, string Sha256) Decode(string payload)
    {
        Payload? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize(payload, PayloadJson.Default.Payload);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"the rules payload is not JSON: {e.Message}", e);
        }

        if (parsed is not { Sha256: { } expected, Bundle: { } bundle })
        {
            throw new InvalidDataException("the rules payload lacks sha256 or bundle");
        }

        byte[] archive;
        try
        {
            using var gzip = new GZipStream(new MemoryStream(Convert.FromBase64String(bundle)), CompressionMode.Decompress);
            using var buffer = new MemoryStream();
            gzip.CopyTo(buffer);
            archive = buffer.ToArray();
        }
        catch (Exception e) when (e is FormatException or InvalidDataException)
        {
            throw new InvalidDataException($"the rules payload's bundle is not base64 of gzip: {e.Message}", e);
        }

        var actual = Convert.ToHexStringLower(SHA256.HashData(archive));
        return actual == expected
            ? (archive, actual)
            : throw new InvalidDataException($"the rules payload's bundle has sha256 {actual}, but the payload names {expected}");
    }

    internal sealed record Payload(
        [property: System.Text.Json.Serialization.JsonPropertyName("sha256")] string? Sha256,
        [property: System.Text.Json.Serialization.JsonPropertyName("bundle")] string? Bundle);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(RulesPayload.Payload))]
internal sealed partial class PayloadJson : System.Text.Json.Serialization.JsonSerializerContext;
