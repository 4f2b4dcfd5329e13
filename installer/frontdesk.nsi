; Front Desk: the Windows installer (NSIS 3, Unicode).
;
;   makensis /DVERSION=0.1.0 /DDIST=..\dist\frontdesk /DOUTFILE=..\dist\FrontDesk-0.1.0-setup.exe frontdesk.nsi
;
; (installer/build.py runs PyInstaller and then this with the right values.)
;
; * Per-user, no administrator rights: into %LOCALAPPDATA%\Programs\Front Desk, with the
;   Start-menu shortcut, the uninstall entry and the optional start-at-login all under
;   HKCU. The desk PC's receptionist account can install and update it.
; * The uninstaller removes the program and keeps the data (the database, settings and
;   logs in %LOCALAPPDATA%\FrontDesk) unless the "Also delete my data" box is ticked;
;   then the app first removes its credentials from Windows Credential Manager
;   (`frontdesk secret forget-all`).
; * Start at login uses the same Run value the app's Settings use ("FrontDesk"), so
;   either can switch it off.

Unicode true
!ifdef FAST_CHECK
  SetCompress off  ; CI's structural check: the same script, without minutes of LZMA
!else
  SetCompressor /SOLID lzma
!endif
RequestExecutionLevel user

!ifndef VERSION
  !error "pass /DVERSION=x.y.z"
!endif
!ifndef DIST
  !error "pass /DDIST=<the PyInstaller onedir folder>"
!endif
!ifndef OUTFILE
  !define OUTFILE "FrontDesk-${VERSION}-setup.exe"
!endif
!ifndef EXE
  !define EXE "frontdesk.exe"  ; the onedir's program (frontdesk on a Linux check build)
!endif

!define APP "Front Desk"
!define APP_ID "FrontDesk"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APP_ID}"
!define RUN_KEY "Software\Microsoft\Windows\CurrentVersion\Run"
!define DATA_DIR "$LOCALAPPDATA\${APP_ID}"

Name "${APP}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\${APP}"
InstallDirRegKey HKCU "Software\${APP_ID}" "InstallDir"
BrandingText "${APP} ${VERSION}"

!ifndef VERSION_NUMERIC
  !define VERSION_NUMERIC "${VERSION}.0"  ; four numbers, e.g. 0.1.0.0 (build.py passes it)
!endif
VIProductVersion "${VERSION_NUMERIC}"
VIAddVersionKey "ProductName" "${APP}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "FileDescription" "${APP} installer"
VIAddVersionKey "CompanyName" "${APP}"
VIAddVersionKey "LegalCopyright" "${APP}"

!include "MUI2.nsh"
!include "LogicLib.nsh"

!define MUI_ABORTWARNING
!ifdef ICON
  !define MUI_ICON "${ICON}"
  !define MUI_UNICON "${ICON}"
!endif
!define MUI_FINISHPAGE_RUN "$INSTDIR\${EXE}"
!define MUI_FINISHPAGE_RUN_TEXT "Open ${APP} now (the first run sets it up)"

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH

!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_COMPONENTS
!insertmacro MUI_UNPAGE_INSTFILES

!insertmacro MUI_LANGUAGE "English"

; A running desk holds its files open: ask it to close (it saves and shuts its workers
; down, which can take some seconds), wait up to 10 s, then end it; if it is still there,
; say so and stop rather than leave a half-replaced program folder.
!macro CLOSE_APP UN
Function ${UN}CloseApp
  nsExec::Exec 'taskkill /IM "${EXE}" /T'
  StrCpy $R1 0
  wait:
    nsExec::ExecToStack 'cmd /c tasklist /FI "IMAGENAME eq ${EXE}" /NH | find /I "${EXE}"'
    Pop $R0  ; find's exit code: 0 while the desk still runs
    Pop $R2
    StrCmp $R0 0 0 closed
    IntOp $R1 $R1 + 1
    IntCmp $R1 20 force 0 force
    Sleep 500
    Goto wait
  force:
    nsExec::Exec 'taskkill /F /IM "${EXE}" /T'
    Sleep 1000
    nsExec::ExecToStack 'cmd /c tasklist /FI "IMAGENAME eq ${EXE}" /NH | find /I "${EXE}"'
    Pop $R0
    Pop $R2
    StrCmp $R0 0 0 closed
    MessageBox MB_OK|MB_ICONSTOP "${APP} is still running. Close it, then try again." /SD IDOK
    Abort
  closed:
FunctionEnd
!macroend
!insertmacro CLOSE_APP ""
!insertmacro CLOSE_APP "un."

Section "${APP} (required)" SecApp
  SectionIn RO
  Call CloseApp
  SetOutPath "$INSTDIR"
  ; An update replaces the program folder whole; the data folder is elsewhere.
  RMDir /r "$INSTDIR\_internal"
  File /r "${DIST}\*"
  WriteUninstaller "$INSTDIR\Uninstall.exe"
  WriteRegStr HKCU "Software\${APP_ID}" "InstallDir" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "${APP}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "${APP}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\${EXE}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\Uninstall.exe"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\Uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
SectionEnd

Section "Start-menu shortcut" SecShortcut
  CreateShortcut "$SMPROGRAMS\${APP}.lnk" "$INSTDIR\${EXE}" "" "$INSTDIR\${EXE}" 0
SectionEnd

Section /o "Start ${APP} when I log in" SecAutostart
  WriteRegStr HKCU "${RUN_KEY}" "${APP_ID}" '"$INSTDIR\${EXE}"'
SectionEnd

!insertmacro MUI_FUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${SecApp} "The program. Your data stays in ${DATA_DIR}."
  !insertmacro MUI_DESCRIPTION_TEXT ${SecShortcut} "A shortcut in the Start menu."
  !insertmacro MUI_DESCRIPTION_TEXT ${SecAutostart} "Open the desk when this Windows user logs in (can be changed later in Settings)."
!insertmacro MUI_FUNCTION_DESCRIPTION_END

; -- uninstall ------------------------------------------------------------------------------
Section /o "un.Also delete my data (calls, leads, settings, logs and saved credentials)" UnSecData
  ; The app removes its own credentials from Windows Credential Manager (the keyring
  ; knows their names), before its files go.
  Call un.CloseApp
  ExecWait '"$INSTDIR\${EXE}" secret forget-all'
  RMDir /r "${DATA_DIR}"
SectionEnd

Section "un.${APP}" UnSecApp
  SectionIn RO
  Call un.CloseApp
  Delete "$SMPROGRAMS\${APP}.lnk"
  DeleteRegValue HKCU "${RUN_KEY}" "${APP_ID}"
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
  DeleteRegKey HKCU "Software\${APP_ID}"
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\${EXE}"
  Delete "$INSTDIR\Uninstall.exe"
  RMDir "$INSTDIR"
SectionEnd

!insertmacro MUI_UNFUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${UnSecApp} "Removes the program. Your data is kept for a reinstall unless you tick $\"Also delete my data$\"."
  !insertmacro MUI_DESCRIPTION_TEXT ${UnSecData} "Deletes ${DATA_DIR} and the saved credentials. This cannot be undone."
!insertmacro MUI_UNFUNCTION_DESCRIPTION_END
