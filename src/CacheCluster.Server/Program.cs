using CacheCluster.Server.Cli;
using CacheCluster.Server.Hosting;

IoThreading.ConfigureBeforeFirstSocket();
return await CliApp.RunAsync(args);
