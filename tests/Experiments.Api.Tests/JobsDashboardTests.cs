using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Experiments.Api.Tests;

/// <summary>
/// The Hangfire dashboard at /jobs answers loopback callers only, for every part of it (the page, its
/// scripts and styles, its JSON polling); anyone else gets 401 and no byte of it. The real-socket
/// loopback case is in <see cref="KestrelTests"/>.
/// </summary>
public class JobsDashboardTests
{
    [Theory]
    [InlineData("/jobs")]
    [InlineData("/jobs/recurring")]
    [InlineData("/jobs/js18525")]
    [InlineData("/jobs/css18525")]
    [InlineData("/jobs/stats")]
    public async Task A_caller_from_another_address_gets_401_for_every_part_of_the_dashboard(string path)
    {
        await using var factory = new RemoteAddressFactory(IPAddress.Parse("203.0.113.7"));
        using var client = factory.CreateClient();

        using var response = path == "/jobs/stats" ? await client.PostAsync(path, new FormUrlEncodedContent([])) : await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.DoesNotContain("Hangfire", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_request_without_a_remote_address_is_refused_too()
    {
        await using var factory = new ApiFactory();
        using var client = factory.CreateClient();

        using var response = await client.GetAsync("/jobs");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    [InlineData("::ffff:127.0.0.1")]
    public async Task A_loopback_caller_gets_the_page(string address)
    {
        await using var factory = new RemoteAddressFactory(IPAddress.Parse(address));
        using var client = factory.CreateClient();

        using var response = await client.GetAsync("/jobs");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Experiments — analysis jobs", await response.Content.ReadAsStringAsync());
    }

    /// <summary>The API with every request arriving from <paramref name="remote"/>, as Kestrel would report it.</summary>
    private sealed class RemoteAddressFactory(IPAddress remote) : ApiFactory
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(services => services.AddSingleton<IStartupFilter>(new RemoteAddress(remote)));
        }
    }

    private sealed class RemoteAddress(IPAddress remote) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((HttpContext context, Func<Task> then) =>
            {
                context.Connection.RemoteIpAddress = remote;
                return then();
            });
            next(app);
        };
    }
}
