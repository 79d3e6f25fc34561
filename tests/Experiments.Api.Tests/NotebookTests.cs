using System.Diagnostics;

namespace Experiments.Api.Tests;

/// <summary>
/// examples/analyst.ipynb executed top to bottom by Debian's jupyter-nbconvert (installed by test.sh
/// through scripts/notebook-deps.sh) against the service on a real socket, with the in-memory data
/// double behind it: plan, register, start, analyse, CSV into pandas, a chart, the decision.
/// </summary>
public class NotebookTests
{
    [Fact]
    public async Task The_analyst_notebook_runs_against_the_service()
    {
        await using var factory = new FixedDataApiFactory();
        factory.UseKestrel(0);
        factory.StartServer();
        using var client = factory.CreateClient();
        string url = client.BaseAddress!.ToString().TrimEnd('/');
        string notebook = Path.Combine(RepositoryRoot(), "examples", "analyst.ipynb");
        string output = Path.Combine(Path.GetTempPath(), $"analyst-{Guid.NewGuid():N}.ipynb");
        Assert.True(File.Exists("/usr/bin/jupyter-nbconvert"), "jupyter-nbconvert is missing: run scripts/notebook-deps.sh (test.sh does)");

        var start = new ProcessStartInfo("/usr/bin/jupyter-nbconvert")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(notebook)!,
        };
        foreach (string arg in new[] { "--to", "notebook", "--execute", "--ExecutePreprocessor.timeout=180", "--output", output, notebook })
            start.ArgumentList.Add(arg);
        start.Environment["EXPERIMENTS_URL"] = url;
        start.Environment["EXPERIMENTS_KEY"] = ApiFactory.AdminKey;
        start.Environment["EXPERIMENT_ID"] = "notebook-checkout";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));

        Assert.True(process.ExitCode == 0, $"the notebook failed:\n{await stderr}\n{await stdout}");
        string executed = await File.ReadAllTextAsync(output);
        Assert.Contains("image/png", executed);           // the chart was shown
        Assert.Matches("\"(ship|keep_running|stop|investigate) —", executed); // the decision was printed
        File.Delete(output);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "examples", "analyst.ipynb")))
                return dir.FullName;
        throw new InvalidOperationException("examples/analyst.ipynb was not found above the test assembly.");
    }
}
