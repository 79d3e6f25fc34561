using ScottPlot;

namespace Experiments.Charts;

/// <summary>
/// The one font every chart draws with: DejaVu Sans, shipped beside this assembly (<c>Fonts/</c>, with its
/// licence) and registered with ScottPlot once per process. ScottPlot draws no text at all when it finds
/// no font, and its default is a serif; registering a file makes charts independent of the machine's fonts.
/// </summary>
public static class ChartFonts
{
    /// <summary>The family name charts ask for.</summary>
    public const string Family = "DejaVu Sans";

    private static readonly Lazy<string> Registered = new(Register, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Registers the shipped font files (idempotent, thread-safe) and returns the family name.</summary>
    /// <exception cref="FileNotFoundException">The font files are not beside the assembly (a broken deployment).</exception>
    public static string Ensure() => Registered.Value;

    /// <summary>The folder holding the shipped font files.</summary>
    public static string Directory =>
        Path.Combine(Path.GetDirectoryName(typeof(ChartFonts).Assembly.Location) is { Length: > 0 } dir ? dir : AppContext.BaseDirectory, "Fonts");

    private static string Register()
    {
        string regular = Path.Combine(Directory, "DejaVuSans.ttf");
        string bold = Path.Combine(Directory, "DejaVuSans-Bold.ttf");
        foreach (var file in new[] { regular, bold })
            if (!File.Exists(file))
                throw new FileNotFoundException($"The chart font {Path.GetFileName(file)} is missing; it ships in the Fonts folder beside Experiments.Charts.dll.", file);
        Fonts.AddFontFile(Family, regular, bold: false, italic: false);
        Fonts.AddFontFile(Family, bold, bold: true, italic: false);
        Fonts.Default = Family;
        Fonts.Sans = Family;
        return Family;
    }
}
