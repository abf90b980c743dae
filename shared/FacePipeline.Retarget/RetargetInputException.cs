namespace FacePipeline.Retarget;

/// <summary>
/// The clips or settings of a retarget cannot be planned as given (a clip without a tracked face, a neutral frame
/// without one): something the person who asked can fix, as the message says. Other argument errors are bugs.
/// </summary>
public sealed class RetargetInputException(string message) : ArgumentException(message);
