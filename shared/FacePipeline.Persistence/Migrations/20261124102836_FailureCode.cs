using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace FacePipeline.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class FailureCode : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "FailureCode",
                table: "jobs",
                type: "text",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "FailureCode",
                table: "jobs");
        }
    }
}
