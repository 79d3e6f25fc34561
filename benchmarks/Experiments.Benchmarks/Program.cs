using BenchmarkDotNet.Running;
using Experiments.Benchmarks;

// No arguments runs every benchmark; otherwise the arguments go to BenchmarkDotNet.
var summaries = BenchmarkSwitcher.FromAssembly(typeof(SufficientStatisticsBenchmarks).Assembly)
    .Run(args.Length == 0 ? ["--filter", "*"] : args);
InputThroughput.PrintClosingNote(summaries);
return 0;
