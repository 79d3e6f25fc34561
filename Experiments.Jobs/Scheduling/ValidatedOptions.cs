using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Experiments.Jobs.Scheduling;

/// <summary>Runs an options class's own <see cref="IValidatableObject.Validate"/> when the options are built.</summary>
internal sealed class ValidatedOptions<T> : IValidateOptions<T> where T : class, IValidatableObject
{
    public ValidateOptionsResult Validate(string? name, T options)
    {
        var failures = options.Validate(new ValidationContext(options)).Select(r => r.ErrorMessage ?? "invalid").ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Validates now, throwing what the options pipeline would.</summary>
    public static T Check(T options)
    {
        var result = new ValidatedOptions<T>().Validate(null, options);
        if (result.Failed)
            throw new OptionsValidationException(typeof(T).Name, typeof(T), result.Failures);
        return options;
    }
}
