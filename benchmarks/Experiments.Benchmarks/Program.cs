using BenchmarkDotNet.Running;
using Experiments.Benchmarks;
using Experiments.Benchmarks.Latency;

// `latency [options]` measures the HTTP endpoint; anything else goes to BenchmarkDotNet
// (no arguments runs every benchmark).
if (args.Length > 0 && args[0] == "latency")
    return await LatencyHarness.RunAsync(args[1..]);
if (args.Length > 0 && args[0] == "pipeline")
    return await Experiments.Benchmarks.Pipeline.PipelineBenchmark.RunAsync(args[1..]);

var summaries = BenchmarkSwitcher.FromAssembly(typeof(SufficientStatisticsBenchmarks).Assembly)
    .Run(args.Length == 0 ? ["--filter", "*"] : args);
InputThroughput.PrintClosingNote(summaries);
return 0;
