using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Experiments.Api.Tests;

/// <summary>An HTTP answer, read whole.</summary>
public sealed record Reply(HttpStatusCode Status, JsonNode? Body, string? ContentType, Uri? Location, string Text)
{
    /// <summary>Asserts an RFC 7807 problem with this status whose <c>errors</c> names <paramref name="field"/>.</summary>
    public Reply AssertProblem(HttpStatusCode status, string field)
    {
        Assert.True(Status == status, $"expected {(int)status}, got {(int)Status}: {Text}");
        Assert.Equal("application/problem+json", ContentType);
        Assert.Equal((int)status, Body!["status"]!.GetValue<int>());
        var errors = Body["errors"]!.AsObject();
        Assert.True(errors.ContainsKey(field), $"the problem should name '{field}': {Text}");
        Assert.False(string.IsNullOrWhiteSpace(Body["detail"]?.GetValue<string>()));
        return this;
    }

    /// <summary>Asserts the status and returns the body.</summary>
    public JsonNode Expect(HttpStatusCode status)
    {
        Assert.True(Status == status, $"expected {(int)status}, got {(int)Status}: {Text}");
        return Body!;
    }
}

/// <summary>Requests as a client sends them.</summary>
public static class ClientExtensions
{
    public static Task<Reply> Get(this HttpClient client, string path) => client.Send(HttpMethod.Get, path, null);

    public static Task<Reply> Put(this HttpClient client, string path, string? json) => client.Send(HttpMethod.Put, path, json);

    public static Task<Reply> Post(this HttpClient client, string path, string? json = null) => client.Send(HttpMethod.Post, path, json);

    public static async Task<Reply> Send(this HttpClient client, HttpMethod method, string path, string? json)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        // Never a non-finite number in a response.
        Assert.DoesNotMatch(@"[:\[,]\s*""?-?(NaN|Infinity)\b", text);
        return new Reply(response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text), response.Content.Headers.ContentType?.MediaType,
            response.Headers.Location, text);
    }

    /// <summary>Polls a run until it has succeeded or failed, or the time is up; returns its last state.</summary>
    public static async Task<JsonNode> WaitForRun(this HttpClient client, string runLocation, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var run = (await client.Get(runLocation)).Expect(HttpStatusCode.OK);
            string status = run["status"]!.GetValue<string>();
            if (status is "succeeded" or "failed" || DateTime.UtcNow > deadline)
                return run;
            await Task.Delay(50);
        }
    }

    /// <summary>The path of an experiment, its id escaped as a client would.</summary>
    public static string ExperimentPath(string id, string rest = "") => $"/api/v1/experiments/{Uri.EscapeDataString(id)}{rest}";
}
