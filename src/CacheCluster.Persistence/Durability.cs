namespace CacheCluster.Persistence;

/// <summary>When a write counts as stored (like Redis's appendfsync).</summary>
public enum Durability
{
    /// <summary>Nothing is written: a restart starts from whatever the data directory already held.</summary>
    Off,
    /// <summary>Acknowledged at once; committed within milliseconds, fsynced at least every second.</summary>
    EverySec,
    /// <summary>Acknowledged only after the transaction holding it is committed and fsynced (group commit).</summary>
    Always,
}

public static class Durabilities
{
    public static string Name(Durability d) => d switch
    {
        Durability.Off => "off",
        Durability.Always => "always",
        _ => "everysec",
    };

    public static bool TryParse(string text, out Durability d)
    {
        switch (text.Trim().ToLowerInvariant())
        {
            case "off": d = Durability.Off; return true;
            case "everysec": d = Durability.EverySec; return true;
            case "always": d = Durability.Always; return true;
            default: d = Durability.EverySec; return false;
        }
    }
}
