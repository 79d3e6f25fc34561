using Experiments.Api.Access;
using Experiments.Api.Decisions;
using Experiments.Dashboards;
using Experiments.Dashboards.Components;
using Experiments.Jobs.Results;
using Microsoft.Extensions.Options;

namespace Experiments.Api.Dashboards;

/// <summary>
/// The executive dashboards (project dashboards/Experiments.Dashboards): Razor components rendered on the
/// server under /dashboards, signed in with an API key kept in an HttpOnly cookie, forms protected by antiforgery.
/// The pages read through <see cref="IPortfolioSource"/> and <see cref="IDashboardKeys"/>, supplied here.
/// </summary>
public static class DashboardsSetup
{
    /// <summary>Razor components (static rendering only) and the pages' data.</summary>
    public static IServiceCollection AddDashboards(this IServiceCollection services)
    {
        services.AddRazorComponents();
        services.AddScoped<IPortfolioSource, PortfolioSource>();
        services.AddScoped<IDashboardKeys, DashboardKeys>();
        return services;
    }

    /// <summary>The pages; every one needs the reader role (the fallback policy) except signing in and out.</summary>
    public static WebApplication MapDashboards(this WebApplication app)
    {
        app.MapRazorComponents<App>();
        return app;
    }

    private sealed class DashboardKeys(AccessStore keys) : IDashboardKeys
    {
        public async Task<string?> FindActiveKeyNameAsync(string key, CancellationToken cancellationToken) =>
            (await keys.FindActiveKeyAsync(AccessStore.Hash(key), cancellationToken))?.Name;
    }

    /// <summary>Decisions exactly as the decision API makes them: <see cref="DecisionRules"/> over the latest published results.</summary>
    internal sealed class PortfolioSource(ResultsStore store, TimeProvider clock, IOptions<DecisionOptions> options) : IPortfolioSource
    {
        public async Task<IReadOnlyList<PortfolioRow>> ListAsync(CancellationToken cancellationToken)
        {
            var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
            var experiments = await store.ListExperimentsAsync(cancellationToken: cancellationToken);
            var rows = new List<(ExperimentDefinition Experiment, PortfolioRow Row)>(experiments.Count);
            foreach (var experiment in experiments)
            {
                var latest = await store.ListLatestResultsAsync(experiment.Id, cancellationToken);
                var answer = DecisionRules.Decide(experiment, latest, today, options.Value);
                rows.Add((experiment, ToRow(experiment, answer, today)));
            }
            return rows
                .OrderBy(r => r.Experiment.Status switch { ExperimentStatus.Running => 0, ExperimentStatus.Completed => 1, ExperimentStatus.Draft => 2, _ => 3 })
                .ThenByDescending(r => r.Experiment.ExperimentWindow.End)
                .ThenBy(r => r.Experiment.Id, StringComparer.Ordinal)
                .Select(r => r.Row)
                .ToList();
        }

        internal static PortfolioRow ToRow(ExperimentDefinition experiment, DecisionAnswer answer, DateOnly today)
        {
            var window = experiment.ExperimentWindow;
            var last = today < window.End ? today : window.End;
            int daysRun = experiment.Status == ExperimentStatus.Draft ? 0 : Math.Max(0, last.DayNumber - window.Start.DayNumber + 1);
            var lift = answer.Primary?.RelativeLift is { } l ? new EstimateInterval(l.Estimate, l.Lower, l.Upper) : null;
            return new PortfolioRow(
                experiment.Id,
                experiment.Name,
                experiment.Type == ExperimentType.Ab ? "A/B" : experiment.Holdout is null ? "geo" : "geo holdout",
                experiment.Owner,
                experiment.Status.ToString().ToLowerInvariant(),
                daysRun,
                experiment.EffectivePlannedDurationDays,
                answer.Decision switch
                {
                    DecisionKind.Ship => "ship",
                    DecisionKind.KeepRunning => "keep_running",
                    DecisionKind.Stop => "stop",
                    _ => "investigate",
                },
                answer.Reasons.Count > 0 ? answer.Reasons[0] : null,
                answer.Primary?.Metric ?? experiment.EffectivePrimaryMetric,
                lift,
                1 - experiment.Alpha,
                answer.Finality?.ToString().ToLowerInvariant(),
                answer.SrmOk);
        }
    }
}
