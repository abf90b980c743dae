namespace FacePipeline.Orchestration.Uploads;

/// <summary>
/// Why a tus request is refused: the HTTP status to answer and one sentence the studio can act on (the API answers it
/// as a problem document).
/// </summary>
public sealed record UploadRefusal(int Status, string Sentence)
{
    /// <summary>A value the client sent, as a refusal quotes it: at most 40 characters, control characters shown as '?'.</summary>
    public static string Quote(string? value)
    {
        value ??= string.Empty;
        var shown = new string([.. value.Take(40).Select(c => char.IsControl(c) ? '?' : c)]);
        return $"'{shown}{(value.Length > 40 ? "…" : string.Empty)}'";
    }
}
