using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace FacePipeline.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class FacePoint : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<float>(
                name: "FacePointX",
                table: "jobs",
                type: "real",
                nullable: true);

            migrationBuilder.AddColumn<float>(
                name: "FacePointY",
                table: "jobs",
                type: "real",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "FacePointX",
                table: "jobs");

            migrationBuilder.DropColumn(
                name: "FacePointY",
                table: "jobs");
        }
    }
}
