using System.Net;
using Hangfire;
using Hangfire.Dashboard;

namespace Experiments.Api.Infrastructure;

/// <summary>Hangfire's dashboard for operators at <c>/jobs</c>: queued, running, scheduled, failed and recurring jobs, and the servers.</summary>
public static class JobsDashboard
{
    /// <summary>The dashboard's path.</summary>
    public const string Path = "/jobs";

    /// <summary>
    /// Mounts the dashboard. Hangfire runs its authorization filters on every dashboard request — pages,
    /// scripts, styles and its polling calls alike — so the page works in a browser for whoever passes
    /// them and nothing of it is served to whoever does not. Until the service has access control the
    /// filter admits loopback callers only (401 otherwise); the storage's connection string is never shown.
    /// </summary>
    public static WebApplication MapJobsDashboard(this WebApplication app)
    {
        app.UseHangfireDashboard(Path, new DashboardOptions
        {
            DashboardTitle = "Experiments — analysis jobs",
            AppPath = "/",
            DisplayStorageConnectionString = false,
            Authorization = [new LoopbackOnly()],
        });
        return app;
    }

    /// <summary>Admits requests whose remote address is a loopback address (127.0.0.0/8, ::1).</summary>
    internal sealed class LoopbackOnly : IDashboardAuthorizationFilter
    {
        public bool Authorize(DashboardContext context) =>
            context.GetHttpContext().Connection.RemoteIpAddress is { } remote
            && IPAddress.IsLoopback(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote);
    }
}
