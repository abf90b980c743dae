using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace FacePipeline.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class JobWatchdog : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "ChunkSize",
                table: "jobs",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "StallResends",
                table: "jobs",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateIndex(
                name: "IX_jobs_State_UpdatedAt",
                table: "jobs",
                columns: new[] { "State", "UpdatedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_jobs_State_UpdatedAt",
                table: "jobs");

            migrationBuilder.DropColumn(
                name: "ChunkSize",
                table: "jobs");

            migrationBuilder.DropColumn(
                name: "StallResends",
                table: "jobs");
        }
    }
}
