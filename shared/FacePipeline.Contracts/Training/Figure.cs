namespace FacePipeline.Contracts;

/// <summary>Numbers in messages and the API: JSON has no NaN or infinity, so a figure that is not finite is missing (null).</summary>
public static class Figure
{
    /// <summary><paramref name="value"/>, or null when it is NaN or infinite.</summary>
    public static double? Finite(double value) => double.IsFinite(value) ? value : null;
}
