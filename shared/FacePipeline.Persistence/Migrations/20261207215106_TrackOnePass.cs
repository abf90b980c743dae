using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace FacePipeline.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class TrackOnePass : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "OnePass",
                table: "job_clips",
                type: "boolean",
                nullable: false,
                defaultValue: false);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "OnePass",
                table: "job_clips");
        }
    }
}
