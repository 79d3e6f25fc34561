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
    /// them and nothing of it is served to whoever does not. The filter admits admin keys only (401
    /// without a key, 403 for a lower role); the storage's connection string is never shown.
    /// </summary>
    public static WebApplication MapJobsDashboard(this WebApplication app)
    {
        app.UseHangfireDashboard(Path, new DashboardOptions
        {
            DashboardTitle = "Experiments — analysis jobs",
            AppPath = "/",
            DisplayStorageConnectionString = false,
            Authorization = [new AdminOnly()],
        });
        return app;
    }

    /// <summary>Admits requests authenticated with an admin key (authentication runs before the dashboard).</summary>
    internal sealed class AdminOnly : IDashboardAuthorizationFilter
    {
        public bool Authorize(DashboardContext context) => context.GetHttpContext().User.IsInRole(Access.Roles.Admin);
    }
}
