namespace Experiments.Engine;

/// <summary>
/// Thrown when the engine is given input it cannot turn into an honest estimate: too few units,
/// zero variance, a non-finite value, arrays of different lengths, an unknown or duplicate name,
/// a parameter outside its range. The engine never answers such input with a number.
/// </summary>
/// <remarks>
/// <see cref="Field"/> names the offending input in the caller's vocabulary (for example
/// <c>variants[treatment].y</c> or <c>alpha</c>) so that an HTTP layer can point at it in an
/// RFC 7807 problem body; <see cref="Exception.Message"/> is a plain sentence for a person.
/// </remarks>
public class StatisticsInputException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="field">The input that is wrong, e.g. <c>variants[treatment].y</c>.</param>
    /// <param name="message">A plain sentence saying what is wrong and, where possible, what would be right.</param>
    public StatisticsInputException(string field, string message)
        : base(message)
    {
        Field = field;
    }

    /// <summary>The input that is wrong, in the caller's vocabulary.</summary>
    public string Field { get; }

    /// <summary>The message without the parameter suffix <see cref="ArgumentException"/> would add.</summary>
    public override string Message => base.Message;
}
