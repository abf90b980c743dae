using FacePipeline.Persistence;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace FacePipeline.Persistence.Migrations
{
    /// <summary>
    /// The reconstruction stage now stores landmark records, not detections: the chunk's key column
    /// follows. (Written by hand: a rename is not something the scaffolder can tell from a drop.)
    /// </summary>
    [DbContext(typeof(JobsDbContext))]
    [Migration("20261124092000_RenameDetectionsKeyToFacesKey")]
    public partial class RenameDetectionsKeyToFacesKey : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.RenameColumn(name: "DetectionsKey", table: "job_chunks", newName: "FacesKey");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.RenameColumn(name: "FacesKey", table: "job_chunks", newName: "DetectionsKey");
        }
    }
}
