using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Experiments.Dashboards;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Experiments.Api.Tests;

/// <summary>
/// The dashboards through the real pipeline: signing in with an API key sets an HttpOnly, SameSite=Strict
/// cookie that the key handler accepts; the portfolio shows the experiments with the decision API's numbers;
/// pages redirect to sign-in without it; forms refuse posts without an antiforgery token.
/// </summary>
public partial class DashboardTests(FixedDataApiFactory factory) : IClassFixture<FixedDataApiFactory>
{
    [Fact]
    public async Task Signing_in_with_a_reader_key_sets_an_HttpOnly_strict_cookie_and_the_portfolio_shows_the_decision_APIs_lift()
    {
        const string id = "dashboard-checkout";
        using var admin = factory.CreateClient();
        (await admin.Put($"/api/v1/experiments/{id}", TestExperiments.Json(TestExperiments.Checkout(id) with { Owner = "growth-team" }))).Expect(HttpStatusCode.Created);
        var queued = await admin.Post($"/api/v1/experiments/{id}/analyses");
        queued.Expect(HttpStatusCode.Accepted);
        var run = await admin.WaitForRun(queued.Location!.OriginalString);
        Assert.Equal("succeeded", run["status"]!.GetValue<string>());
        string readerKey = await AccessTests.CreateKey(factory, "reader");

        using var browser = Browser();
        var (signedIn, cookie) = await SignIn(browser, readerKey);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Equal("/dashboards", new Uri(browser.BaseAddress!, signedIn.Headers.Location!).AbsolutePath);
        Assert.NotNull(cookie);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/", cookie, StringComparison.OrdinalIgnoreCase);

        // The portfolio with the cookie: the experiment, its owner, and the decision API's lift in plain words.
        using var page = new HttpRequestMessage(HttpMethod.Get, "/dashboards");
        page.Headers.Add("Cookie", CookiePair(cookie!));
        using var reply = await browser.SendAsync(page);
        string html = WebUtility.HtmlDecode(await reply.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, reply.StatusCode);
        var decision = (await admin.Get($"/api/v1/decisions/{id}")).Expect(HttpStatusCode.OK);
        var lift = decision["primary"]!["relativeLift"]!;
        string expected = PlainNumbers.Lift(new EstimateInterval(lift["estimate"]!.GetValue<double>(), lift["lower"]!.GetValue<double>(), lift["upper"]!.GetValue<double>()), 0.95);
        Assert.Contains(id, html);
        Assert.Contains("growth-team", html);
        Assert.Contains(expected, html);
        Assert.Matches(LiftText(), expected);
        Assert.Contains(PlainNumbers.Words(decision["decision"]!.GetValue<string>()), html);
        Assert.Contains("<th scope=\"col\">Primary metric lift</th>", html);

        // The same cookie authenticates the API with the key's role (reader: reads yes, writes no).
        using var api = new HttpRequestMessage(HttpMethod.Get, "/api/v1/experiments");
        api.Headers.Add("Cookie", CookiePair(cookie!));
        Assert.Equal(HttpStatusCode.OK, (await browser.SendAsync(api)).StatusCode);
        using var jobs = new HttpRequestMessage(HttpMethod.Get, "/jobs");
        jobs.Headers.Add("Cookie", CookiePair(cookie!));
        Assert.NotEqual(HttpStatusCode.OK, (await browser.SendAsync(jobs)).StatusCode);
    }

    [Fact]
    public async Task An_admin_signed_in_in_a_browser_can_open_the_jobs_dashboard()
    {
        using var browser = Browser();
        var (_, cookie) = await SignIn(browser, ApiFactory.AdminKey);
        using var jobs = new HttpRequestMessage(HttpMethod.Get, "/jobs");
        jobs.Headers.Add("Cookie", CookiePair(cookie!));
        Assert.Equal(HttpStatusCode.OK, (await browser.SendAsync(jobs)).StatusCode);
    }

    [Fact]
    public async Task A_bad_key_shows_an_error_and_sets_no_cookie()
    {
        using var browser = Browser();
        var (reply, cookie) = await SignIn(browser, "exp_" + new string('x', 43));
        Assert.Equal(HttpStatusCode.BadRequest, reply.StatusCode);
        Assert.Null(cookie);
        Assert.Contains("unknown or revoked", await reply.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Without_the_cookie_a_page_redirects_to_sign_in_while_the_API_answers_401()
    {
        using var browser = Browser();
        using var page = await browser.GetAsync("/dashboards");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.Equal(DashboardCookie.SignInPath, new Uri(browser.BaseAddress!, page.Headers.Location!).AbsolutePath);
        using var api = await browser.GetAsync("/api/v1/experiments");
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        using var bogus = new HttpRequestMessage(HttpMethod.Get, "/dashboards");
        bogus.Headers.Add("Cookie", DashboardCookie.Name + "=exp_" + new string('y', 43));
        using var refused = await browser.SendAsync(bogus);
        Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
    }

    [Fact]
    public async Task A_sign_in_post_without_the_antiforgery_token_is_refused()
    {
        using var browser = Browser();
        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["_handler"] = "sign-in", ["Key"] = ApiFactory.AdminKey });
        using var reply = await browser.PostAsync(DashboardCookie.SignInPath, form);
        Assert.Equal(HttpStatusCode.BadRequest, reply.StatusCode);
        Assert.DoesNotContain(reply.Headers.TryGetValues("Set-Cookie", out var set) ? set : [], c => c.StartsWith(DashboardCookie.Name + "=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Signing_out_clears_the_cookie()
    {
        using var browser = Browser();
        var (_, cookie) = await SignIn(browser, ApiFactory.AdminKey);
        using var page = new HttpRequestMessage(HttpMethod.Get, "/dashboards/sign-out");
        page.Headers.Add("Cookie", CookiePair(cookie!));
        using var form = await browser.SendAsync(page);
        var (token, antiforgery) = Antiforgery(form, await form.Content.ReadAsStringAsync());
        using var post = new HttpRequestMessage(HttpMethod.Post, "/dashboards/sign-out")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["_handler"] = "sign-out", ["__RequestVerificationToken"] = token }),
        };
        post.Headers.Add("Cookie", antiforgery + "; " + CookiePair(cookie!));
        using var reply = await browser.SendAsync(post);
        Assert.Equal(HttpStatusCode.Redirect, reply.StatusCode);
        Assert.Contains(reply.Headers.GetValues("Set-Cookie"), c => c.StartsWith(DashboardCookie.Name + "=;", StringComparison.Ordinal));
    }

    /// <summary>A client like a browser's first visit: no key header, no automatic redirects or cookies.</summary>
    private HttpClient Browser()
    {
        var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        client.DefaultRequestHeaders.Authorization = null;
        return client;
    }

    /// <summary>Loads the sign-in page, then posts the form with its antiforgery token; returns the answer and the key cookie set, if any.</summary>
    private static async Task<(HttpResponseMessage Reply, string? Cookie)> SignIn(HttpClient browser, string key)
    {
        using var form = await browser.GetAsync(DashboardCookie.SignInPath);
        Assert.Equal(HttpStatusCode.OK, form.StatusCode);
        var (token, antiforgery) = Antiforgery(form, await form.Content.ReadAsStringAsync());
        var post = new HttpRequestMessage(HttpMethod.Post, DashboardCookie.SignInPath)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["_handler"] = "sign-in", ["__RequestVerificationToken"] = token, ["Key"] = key }),
        };
        post.Headers.Add("Cookie", antiforgery);
        var reply = await browser.SendAsync(post);
        string? cookie = reply.Headers.TryGetValues("Set-Cookie", out var set)
            ? set.FirstOrDefault(c => c.StartsWith(DashboardCookie.Name + "=", StringComparison.Ordinal))
            : null;
        return (reply, cookie);
    }

    private static (string Token, string Cookie) Antiforgery(HttpResponseMessage form, string html)
    {
        string token = TokenField().Match(html).Groups[1].Value;
        Assert.NotEmpty(token);
        string cookie = CookiePair(form.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(".AspNetCore.Antiforgery.", StringComparison.Ordinal)));
        return (WebUtility.HtmlDecode(token), cookie);
    }

    private static string CookiePair(string setCookie) => setCookie.Split(';')[0];

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenField();

    [GeneratedRegex(@"^[+\u2212]\d+\.\d% \([+\u2212]\d+\.\d% to [+\u2212]\d+\.\d%\), 95% interval$")]
    private static partial Regex LiftText();
}
