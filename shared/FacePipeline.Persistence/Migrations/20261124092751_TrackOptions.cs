using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace FacePipeline.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class TrackOptions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "MaxFaces",
                table: "jobs",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "NeutralFrame",
                table: "jobs",
                type: "integer",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "MaxFaces",
                table: "jobs");

            migrationBuilder.DropColumn(
                name: "NeutralFrame",
                table: "jobs");
        }
    }
}
