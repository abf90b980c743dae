using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace FacePipeline.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class RetargetJobs : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Settings",
                table: "jobs",
                type: "jsonb",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "job_clips",
                columns: table => new
                {
                    JobId = table.Column<Guid>(type: "uuid", nullable: false),
                    Name = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    InputFileName = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    InputKey = table.Column<string>(type: "text", nullable: false),
                    InputBytes = table.Column<long>(type: "bigint", nullable: false),
                    Extracted = table.Column<bool>(type: "boolean", nullable: false),
                    Width = table.Column<int>(type: "integer", nullable: true),
                    Height = table.Column<int>(type: "integer", nullable: true),
                    FrameRate = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    FrameCount = table.Column<int>(type: "integer", nullable: true),
                    DurationSeconds = table.Column<double>(type: "double precision", nullable: true),
                    HasAudio = table.Column<bool>(type: "boolean", nullable: true),
                    TimelineKey = table.Column<string>(type: "text", nullable: true),
                    AudioKey = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_job_clips", x => new { x.JobId, x.Name });
                    table.ForeignKey(
                        name: "FK_job_clips_jobs_JobId",
                        column: x => x.JobId,
                        principalTable: "jobs",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            // Jobs from before clips had rows of their own: their one clip is the source.
            migrationBuilder.Sql("""
                INSERT INTO job_clips ("JobId", "Name", "InputFileName", "InputKey", "InputBytes", "Extracted",
                                       "Width", "Height", "FrameRate", "FrameCount", "DurationSeconds", "HasAudio", "TimelineKey", "AudioKey")
                SELECT "Id", 'source', "InputFileName", "InputKey", "InputBytes", "Width" IS NOT NULL,
                       "Width", "Height", "FrameRate", "FrameCount", "DurationSeconds", "HasAudio", "TimelineKey", "AudioKey"
                FROM jobs;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "job_clips");

            migrationBuilder.DropColumn(
                name: "Settings",
                table: "jobs");
        }
    }
}
