using System.CommandLine;
using System.Net.Http.Json;
using CacheCluster.Server.Admin;

namespace CacheCluster.Server.Cli;

/// <summary>
/// `drain --admin URL`: asks a running node to hand every local shard off and waits until it has
/// (the Kubernetes preStop hook). Prints progress; exit 0 when drained, 1 on error or timeout.
/// </summary>
public static class DrainCommand
{
    public static Command Create()
    {
        var drain = new Command("drain", "Hand every shard of a running node off to the other members, and wait until it is done.");
        var admin = new Option<string>("--admin") { Description = "the node's admin URL, e.g. http://127.0.0.1:8379", Required = true };
        var timeout = new Option<int>("--timeout") { Description = "seconds to wait at most", DefaultValueFactory = _ => 120 };
        drain.Options.Add(admin);
        drain.Options.Add(timeout);
        drain.SetAction(async (parsed, cancel) => await RunAsync(parsed.GetValue(admin)!, parsed.GetValue(timeout), cancel));
        return drain;
    }

    static async Task<int> RunAsync(string admin, int timeoutSeconds, CancellationToken cancel)
    {
        var baseUri = admin.TrimEnd('/');
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        try
        {
            using var start = await http.PostAsync(baseUri + "/drain", null, cancel);
            start.EnsureSuccessStatusCode();
            string last = "";
            while (true)
            {
                var s = await http.GetFromJsonAsync<DrainEndpoints.DrainStatus>(baseUri + "/drain", DrainEndpoints.Json, cancel)
                        ?? throw new InvalidOperationException("empty answer");
                var line = $"{s.State}: {s.ShardsLeft} shards left, {s.HandoffsDone} hand-offs done";
                if (line != last) Console.WriteLine(line);
                last = line;
                if (s.State == "drained") return 0;
                if (DateTime.UtcNow > deadline)
                {
                    await Console.Error.WriteLineAsync($"cachecluster: drain did not finish within {timeoutSeconds} s ({s.ShardsLeft} shards left)");
                    return 1;
                }
                await Task.Delay(500, cancel);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or InvalidOperationException or System.Text.Json.JsonException)
        {
            await Console.Error.WriteLineAsync($"cachecluster: drain via {baseUri} failed: {ex.Message}");
            return 1;
        }
    }
}
