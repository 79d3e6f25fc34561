using System.Net;

namespace Experiments.Api.Tests;

/// <summary>
/// The Hangfire dashboard at /jobs is for admin keys only, for every part of it (the page, its scripts
/// and styles, its JSON polling): 401 without a key, 403 for a lower role, and no byte of Hangfire's
/// page either way. The real-socket case with its assets is in <see cref="KestrelTests"/>.
/// </summary>
public class JobsDashboardTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    public static TheoryData<string> Paths => ["/jobs", "/jobs/recurring", "/jobs/js18525", "/jobs/css18525", "/jobs/stats"];

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task Without_a_key_every_part_of_the_dashboard_is_401(string path)
    {
        using var client = factory.ClientWith(null);

        using var response = await Send(client, path);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.DoesNotContain("Hangfire", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task A_reader_or_analyst_key_gets_403(string path)
    {
        foreach (string role in new[] { "reader", "analyst" })
        {
            using var client = factory.ClientWith(await AccessTests.CreateKey(factory, role));

            using var response = await Send(client, path);

            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.DoesNotContain("Hangfire", await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task An_admin_key_gets_the_page()
    {
        using var client = factory.CreateClient();

        using var response = await client.GetAsync("/jobs");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Experiments — analysis jobs", await response.Content.ReadAsStringAsync());
    }

    private static Task<HttpResponseMessage> Send(HttpClient client, string path) =>
        path == "/jobs/stats" ? client.PostAsync(path, new FormUrlEncodedContent([])) : client.GetAsync(path);
}
