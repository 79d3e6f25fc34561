using Experiments.Jobs.Results;
using Experiments.Jobs.Store.Tests.Infrastructure;

namespace Experiments.Jobs.Store.Tests;

/// <summary>The registry writes behind the lifecycle and the listing, on both databases.</summary>
public class ExperimentRegistryStoreTests
{
    [Theory]
    [InlineData(StoreProvider.Sqlite)]
    [InlineData(StoreProvider.PostgreSql)]
    public async Task Inserts_never_overwrite_and_replacements_need_the_status_they_expect(StoreProvider provider)
    {
        await using var h = await Harness.CreateAsync(provider);
        var draft = TestExperiments.Checkout("lifecycle", ExperimentStatus.Draft);

        Assert.True(await h.Store.TryInsertExperimentAsync(draft));
        Assert.False(await h.Store.TryInsertExperimentAsync(draft with { Name = "Second writer" }));
        Assert.Equal("New checkout flow", (await h.Store.GetExperimentAsync("lifecycle"))!.Name);

        // draft → running succeeds once; a second writer expecting draft finds it moved and writes nothing.
        Assert.True(await h.Store.TryReplaceExperimentAsync(draft with { Status = ExperimentStatus.Running }, ExperimentStatus.Draft));
        Assert.False(await h.Store.TryReplaceExperimentAsync(draft with { Status = ExperimentStatus.Archived }, ExperimentStatus.Draft));
        Assert.False(await h.Store.TryReplaceExperimentAsync(TestExperiments.Checkout("nobody"), ExperimentStatus.Running));
        var stored = (await h.Store.GetExperimentAsync("lifecycle"))!;
        Assert.Equal(ExperimentStatus.Running, stored.Status);
        // The status column moves with the definition: the daily job's listing sees it.
        Assert.Equal(["lifecycle"], (await h.Store.ListExperimentsAsync(ExperimentStatus.Running)).Select(e => e.Id));
    }

    [Theory]
    [InlineData(StoreProvider.Sqlite)]
    [InlineData(StoreProvider.PostgreSql)]
    public async Task Pages_follow_the_id_order_and_filter_in_SQL_and_over_the_definitions(StoreProvider provider)
    {
        await using var h = await Harness.CreateAsync(provider);
        for (int i = 0; i < 7; i++)
            await h.Store.SaveExperimentAsync(TestExperiments.Checkout($"ab-{i}", i < 5 ? ExperimentStatus.Running : ExperimentStatus.Draft) with
            {
                Owner = i % 2 == 0 ? "Growth" : "pricing",
                Tags = i == 3 ? ["special", "q1"] : ["q1"],
            });
        await h.Store.SaveExperimentAsync(TestExperiments.Geo() with { Owner = "growth" });

        var (first, more) = await h.Store.ListExperimentsPageAsync(new ExperimentFilter(), null, 3);
        Assert.Equal(["ab-0", "ab-1", "ab-2"], first.Select(e => e.Id));
        Assert.True(more);
        var (rest, end) = await h.Store.ListExperimentsPageAsync(new ExperimentFilter(), "ab-2", 10);
        Assert.Equal(["ab-3", "ab-4", "ab-5", "ab-6", "tv-campaign"], rest.Select(e => e.Id));
        Assert.False(end);

        Assert.Equal(["ab-0", "ab-2", "ab-4", "ab-6", "tv-campaign"], (await h.Store.ListExperimentsPageAsync(new ExperimentFilter(Owner: "growth"), null, 10)).Page.Select(e => e.Id));
        Assert.Equal(["ab-0", "ab-2", "ab-4", "ab-6"], (await h.Store.ListExperimentsPageAsync(new ExperimentFilter(Type: ExperimentType.Ab, Owner: "GROWTH"), null, 10)).Page.Select(e => e.Id));
        Assert.Equal(["ab-5", "ab-6"], (await h.Store.ListExperimentsPageAsync(new ExperimentFilter(Status: ExperimentStatus.Draft), null, 10)).Page.Select(e => e.Id));
        var special = await h.Store.ListExperimentsPageAsync(new ExperimentFilter(Tag: "special"), null, 1);
        Assert.Equal(["ab-3"], special.Page.Select(e => e.Id));
        Assert.False(special.More);
        // Exactly a page's worth left: no next page is announced.
        Assert.False((await h.Store.ListExperimentsPageAsync(new ExperimentFilter(Owner: "pricing"), null, 3)).More);
    }
}
