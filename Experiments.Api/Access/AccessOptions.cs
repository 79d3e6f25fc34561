using System.ComponentModel.DataAnnotations;

namespace Experiments.Api.Access;

/// <summary>Access control (configuration section <c>Auth</c>).</summary>
public sealed class AccessOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Auth";

    /// <summary>
    /// An admin key to accept (created in the store at start-up when missing), for automation and
    /// tests; at least 32 characters. When empty, the first start creates a random admin key and
    /// writes it to <see cref="AdminKeyFile"/>.
    /// </summary>
    public string? BootstrapAdminKey { get; set; }

    /// <summary>Where the first start writes the admin key it creates (mode 0600): by default <c>admin-key</c> beside the results store's SQLite file, or <c>.data/admin-key</c> under the content root.</summary>
    public string? AdminKeyFile { get; set; }

    /// <summary>Requests one key (or, without a key, one address) may make per second, sustained.</summary>
    public int PermitsPerSecond { get; set; } = 200;

    /// <summary>Requests one key may make in a burst above the sustained rate.</summary>
    public int Burst { get; set; } = 400;

    /// <summary>The largest request body accepted, in bytes (413 above).</summary>
    public long MaxRequestBodyBytes { get; set; } = 1_048_576;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (BootstrapAdminKey is { } key && (key.Length < 32 || key.Length > 200 || key.Any(char.IsWhiteSpace)))
            yield return new ValidationResult("Auth:BootstrapAdminKey must be 32 to 200 characters without spaces.", [nameof(BootstrapAdminKey)]);
        if (PermitsPerSecond < 1 || Burst < 1)
            yield return new ValidationResult("Auth:PermitsPerSecond and Auth:Burst must be at least 1.", [nameof(PermitsPerSecond)]);
        if (MaxRequestBodyBytes < 1024)
            yield return new ValidationResult("Auth:MaxRequestBodyBytes must be at least 1024.", [nameof(MaxRequestBodyBytes)]);
    }
}
