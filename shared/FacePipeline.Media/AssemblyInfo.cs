using System.Runtime.CompilerServices;

// The tests check internal arithmetic (e.g. ClipSegments.ConcatList) that no public call shows on its own.
[assembly: InternalsVisibleTo("FacePipeline.Media.Tests")]
