using System.Net;
using Microsoft.Playwright;

namespace Experiments.Api.Tests;

/// <summary>The browser test runs alone, after the parallel tests: Chromium and the service on two busy cores otherwise miss their timeouts.</summary>
[CollectionDefinition("Browser", DisableParallelization = true)]
public sealed class BrowserCollection;

/// <summary>
/// The dashboards in headless Chromium (Debian's <c>chromium</c>, installed by test.sh through
/// scripts/browser-deps.sh) driven by Playwright, against the service on a real socket with the in-memory
/// data double: sign in, see the portfolio, no console errors, no sideways scrolling at 1280 px or 390 px.
/// Screenshots go to EXPERIMENTS_SCREENSHOTS (test.sh: .test-results/screenshots) or next to the tests.
/// </summary>
[Collection("Browser")]
public class DashboardBrowserTests
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task In_Chromium_signing_in_shows_the_portfolio_with_no_console_errors_and_no_sideways_scroll()
    {
        Assert.True(File.Exists(Chromium), "chromium is missing: run scripts/browser-deps.sh (test.sh does)");
        await using var factory = new FixedDataApiFactory();
        factory.UseKestrel(0);
        factory.StartServer();
        using var admin = factory.CreateClient();
        string url = admin.BaseAddress!.ToString().TrimEnd('/');
        const string id = "browser-checkout";
        (await admin.Put($"/api/v1/experiments/{id}", TestExperiments.Json(TestExperiments.Checkout(id) with { Owner = "growth-team" }))).Expect(HttpStatusCode.Created);
        var queued = await admin.Post($"/api/v1/experiments/{id}/analyses");
        queued.Expect(HttpStatusCode.Accepted);
        Assert.Equal("succeeded", (await admin.WaitForRun(queued.Location!.OriginalString))["status"]!.GetValue<string>());
        string readerKey = await AccessTests.CreateKey(factory, "reader");
        string screenshots = Environment.GetEnvironmentVariable("EXPERIMENTS_SCREENSHOTS") is { Length: > 0 } folder
            ? folder
            : Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(screenshots);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox"],
        });
        foreach (int width in new[] { 1280, 390 })
        {
            await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = 900 } });
            var page = await context.NewPageAsync();
            page.SetDefaultTimeout(90_000); // generous: a loaded CI machine, not a slow page
            page.SetDefaultNavigationTimeout(90_000);
            var errors = new List<string>();
            page.Console += (_, message) =>
            {
                if (message.Type == "error")
                    errors.Add($"{message.Text} ({message.Location})");
            };
            page.PageError += (_, error) => errors.Add(error);
            page.RequestFailed += (_, request) => errors.Add($"request failed: {request.Url}");

            // Not signed in: the page sends the browser to sign in.
            await page.GotoAsync(url + "/dashboards");
            Assert.EndsWith("/dashboards/sign-in", page.Url);
            await page.FillAsync("#key", readerKey);
            await page.ClickAsync("main button[type=submit]");
            await page.WaitForURLAsync(url + "/dashboards");

            string text = await page.InnerTextAsync("main");
            Assert.Contains(id, text);
            Assert.Contains("growth-team", text);
            Assert.Contains("95% interval", text);
            Assert.Equal(9, await page.Locator("thead th").CountAsync());
            bool fits = await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth");
            Assert.True(fits, $"the portfolio scrolls sideways at {width} px");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(screenshots, $"portfolio-{width}.png"), FullPage = true });

            // Signing out returns to the sign-in page, and the portfolio is closed again.
            await page.ClickAsync("header button[type=submit]");
            await page.WaitForURLAsync(url + "/dashboards/sign-in");
            await page.GotoAsync(url + "/dashboards");
            Assert.EndsWith("/dashboards/sign-in", page.Url);

            Assert.Empty(errors);
        }
    }
}
