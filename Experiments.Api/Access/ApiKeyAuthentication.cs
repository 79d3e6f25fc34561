using System.Security.Claims;
using System.Text.Encodings.Web;
using Experiments.Jobs.Results;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Experiments.Api.Access;

/// <summary>
/// Authenticates a request by its API key, sent as <c>Authorization: Bearer &lt;key&gt;</c> or
/// <c>X-Api-Key: &lt;key&gt;</c>, or (from a browser signed in on the dashboards) in the HttpOnly,
/// SameSite=Strict cookie <c>experiments_key</c>. The key is hashed and looked up among the unrevoked keys; a hit is
/// cached for <see cref="ApiKeyAuthenticationOptions.CacheDuration"/> (a revocation through this
/// process takes effect at once, through another within that time). The principal carries the key's
/// name, id and every role up to its own (an admin is also an analyst and a reader).
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<ApiKeyAuthenticationOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    AccessStore keys, IMemoryCache cache) : AuthenticationHandler<ApiKeyAuthenticationOptions>(options, logger, encoder)
{
    /// <summary>The scheme's name.</summary>
    public const string SchemeName = "ApiKey";

    /// <summary>The header that may carry the key instead of Authorization.</summary>
    public const string HeaderName = "X-Api-Key";

    /// <summary>The claim holding the key's id.</summary>
    public const string KeyIdClaim = "experiments:key_id";

    /// <inheritdoc />
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? key = null;
        if (Request.Headers.Authorization.FirstOrDefault() is { } authorization)
        {
            if (!authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
                return AuthenticateResult.Fail("The Authorization header must be 'Bearer <key>'.");
            key = authorization["Bearer ".Length..].Trim();
        }
        else if (Request.Headers[HeaderName].FirstOrDefault() is { } header)
        {
            key = header.Trim();
        }
        else if (Request.Cookies[global::Experiments.Dashboards.DashboardCookie.Name] is { Length: > 0 } cookie)
        {
            // A browser signed in on /dashboards/sign-in: the same key, the same roles (the pages, the API, /jobs).
            key = cookie;
        }
        if (key is null)
            return AuthenticateResult.NoResult();
        if (key.Length is < 32 or > 200)
            return AuthenticateResult.Fail("The API key is not valid.");

        string hash = AccessStore.Hash(key);
        if (!cache.TryGetValue(CacheKey(hash), out ApiKey? record))
        {
            record = await keys.FindActiveKeyAsync(hash, Context.RequestAborted);
            if (record is not null)
                cache.Set(CacheKey(hash), record, Options.CacheDuration);
        }
        if (record is null)
            return AuthenticateResult.Fail("The API key is unknown or revoked.");

        var claims = new List<Claim>
        {
            new(ClaimTypes.Name, record.Name),
            new(KeyIdClaim, record.Id.ToString("D")),
        };
        claims.AddRange(Roles.Including(record.Role).Select(r => new Claim(ClaimTypes.Role, r)));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    private static string CacheKey(string hash) => "api-key:" + hash;
}

/// <summary>Options of <see cref="ApiKeyAuthenticationHandler"/>.</summary>
public sealed class ApiKeyAuthenticationOptions : AuthenticationSchemeOptions
{
    /// <summary>How long a successful lookup is reused.</summary>
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>The role names and what each includes.</summary>
public static class Roles
{
    /// <summary>Results, decisions, charts, stateless statistics, dashboards.</summary>
    public const string Reader = "reader";

    /// <summary>Plus create, edit, start/stop, trigger analyses.</summary>
    public const string Analyst = "analyst";

    /// <summary>Plus keys, archive, audit, the jobs dashboard.</summary>
    public const string Admin = "admin";

    /// <summary>The role's name.</summary>
    public static string Name(ApiRole role) => role switch
    {
        ApiRole.Reader => Reader,
        ApiRole.Analyst => Analyst,
        _ => Admin,
    };

    /// <summary>The role and every role below it.</summary>
    public static IEnumerable<string> Including(ApiRole role) =>
        Enum.GetValues<ApiRole>().Where(r => r <= role).Select(Name);

    /// <summary>Parses a role name; null when it is none.</summary>
    public static ApiRole? Parse(string? name) => name switch
    {
        Reader => ApiRole.Reader,
        Analyst => ApiRole.Analyst,
        Admin => ApiRole.Admin,
        _ => null,
    };
}
