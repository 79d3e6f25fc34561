using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Experiments.Jobs.Scheduling;

/// <summary>
/// Starts a host and, when its configuration refuses it (an invalid option, a SQLite job file another
/// server holds), says why in one plain sentence on standard error instead of a stack trace. The host's
/// own "failed to start" log, which carries the trace, is silenced in the embedded appsettings.json.
/// </summary>
public static class HostStart
{
    /// <summary>True when the host started; false (message written) when its configuration refused it.</summary>
    public static async Task<bool> TryStartAsync(IHost host, string what)
    {
        try
        {
            await host.StartAsync();
            return true;
        }
        catch (Exception e) when (e is OptionsValidationException or InvalidOperationException)
        {
            await Console.Error.WriteLineAsync($"The {what} did not start: {e.Message}");
            return false;
        }
    }
}
