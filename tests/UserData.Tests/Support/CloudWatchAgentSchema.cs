using System.Text.Json;
using Json.Schema;

namespace HaproxyCluster.UserData.Tests.Support;

/// <summary>
/// The part of the CloudWatch agent's configuration schema the bootstrap writes, as the agent's
/// documentation and its translator's schema define it: the sections, the keys each may hold
/// (no others) and their types. The agent itself cannot be installed here (its packages come from
/// S3), so its translator cannot run; this catches a misspelt or misplaced key, which the agent
/// would refuse at boot.
/// </summary>
internal static class CloudWatchAgentSchema
{
    private static readonly JsonSchema Schema = JsonSchema.FromText("""
        {
          "$schema": "https://json-schema.org/draft/2020-12/schema",
          "type": "object",
          "additionalProperties": false,
          "required": ["logs"],
          "properties": {
            "logs": {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "metrics_collected": {
                  "type": "object",
                  "additionalProperties": false,
                  "properties": {
                    "emf": { "type": "object", "additionalProperties": false, "properties": { "service_address": { "type": "string" } } },
                    "prometheus": {
                      "type": "object",
                      "additionalProperties": false,
                      "required": ["prometheus_config_path", "emf_processor"],
                      "properties": {
                        "cluster_name": { "type": "string" },
                        "log_group_name": { "type": "string" },
                        "prometheus_config_path": { "type": "string", "pattern": "^/" },
                        "emf_processor": {
                          "type": "object",
                          "additionalProperties": false,
                          "properties": {
                            "metric_declaration_dedup": { "type": "boolean" },
                            "metric_namespace": { "type": "string" },
                            "metric_unit": { "type": "object", "additionalProperties": { "type": "string" } },
                            "metric_declaration": {
                              "type": "array",
                              "items": {
                                "type": "object",
                                "additionalProperties": false,
                                "properties": {
                                  "source_labels": { "type": "array", "items": { "type": "string" } },
                                  "label_matcher": { "type": "string" },
                                  "label_separator": { "type": "string" },
                                  "metric_selectors": { "type": "array", "items": { "type": "string" } },
                                  "dimensions": { "type": "array", "items": { "type": "array", "items": { "type": "string" } } }
                                }
                              }
                            }
                          }
                        }
                      }
                    }
                  }
                },
                "logs_collected": {
                  "type": "object",
                  "additionalProperties": false,
                  "properties": {
                    "files": {
                      "type": "object",
                      "additionalProperties": false,
                      "properties": {
                        "collect_list": {
                          "type": "array",
                          "items": {
                            "type": "object",
                            "additionalProperties": false,
                            "required": ["file_path"],
                            "properties": {
                              "file_path": { "type": "string" },
                              "log_group_name": { "type": "string" },
                              "log_stream_name": { "type": "string" }
                            }
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          }
        }
        """);

    /// <summary>Every place <paramref name="json"/> breaks the schema, one line each; empty when it fits.</summary>
    public static IReadOnlyList<string> Errors(string json)
    {
        using var document = JsonDocument.Parse(json);
        var result = Schema.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        return result.IsValid
            ? []
            : [.. (result.Details ?? []).Where(d => d.Errors is { Count: > 0 }).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"))];
    }
}
